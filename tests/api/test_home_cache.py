"""The member-home response cache (HOME_CACHE_TTL_S): a member's own ``me`` queries are
answered from the cache, and never stale after a write by or for that member."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from domain.cache import MemoryCache
from domain.config import ConfigError, Settings
from domain.events import outbox
from domain.members.home_cache import HomeCache
from domain.members.tables import Member
from resolvers.home import home_slot
from tests.factories import ORDER, as_member, order_input, pos_and_member
from workers.relay import relay_once

HOME = """query Home { me { displayName points { balance pending } } }"""
MIXED = """{ me { displayName } tiers { code } }"""
UPDATE = """mutation($in: MemberProfileInput!) { memberUpdate(input: $in) {
  __typename ... on Member { displayName } } }"""


@pytest.fixture
def cached(app, monkeypatch):
    monkeypatch.setattr(app.state.rt.home, "ttl_s", 10)


async def _home(member) -> dict:
    return (await member(HOME))["data"]["me"]


async def test_a_members_home_is_cached_and_forgotten_after_their_writes(
    gql, client, seed, app, cached
):
    pos, card, pk = await pos_and_member(gql, client, seed)
    member = await as_member(gql, app, pk)
    first = await _home(member)
    await Member.filter(id=pk).update(display_name="behind its back")  # no event: cached
    assert await _home(member) == first
    mixed = (await member(MIXED))["data"]["me"]  # another root field: never cached
    assert mixed == {"displayName": "behind its back"}

    # the member's own write: the very next read is fresh
    r = (await member(UPDATE, {"in": {"displayName": "小林"}}))["data"]["memberUpdate"]
    assert r == {"__typename": "Member", "displayName": "小林"}
    assert (await _home(member))["displayName"] == "小林"

    # a till's order for the member (an order.created event): fresh at once too
    before = await _home(member)
    r = (await pos(ORDER, {"in": order_input(card, fen=12_300)}))["data"]["orderCreate"]
    assert r["__typename"] == "OrderCreateSuccess"
    after = await _home(member)
    assert after["points"]["pending"] == before["points"]["pending"] + 123


async def test_each_member_has_their_own_answers(gql, client, seed, app, cached):
    _, _, one = await pos_and_member(gql, client, seed)
    _, _, two = await pos_and_member(gql, client, seed)
    await Member.filter(id=one).update(display_name="一号")
    await Member.filter(id=two).update(display_name="二号")
    assert (await _home(await as_member(gql, app, one)))["displayName"] == "一号"
    assert (await _home(await as_member(gql, app, two)))["displayName"] == "二号"


async def test_an_answer_computed_before_a_change_is_never_served_after_it():
    """The race a cache must not lose: read old data, the change commits and forgets,
    then the old answer is stored — it is stored under the old generation, unseen."""
    home = HomeCache(MemoryCache(), ttl_s=10)
    slot = home.slot(7, HOME, "Home", None)
    assert slot is not None
    missed, bound = await home.lookup(slot)  # the reader looks, then reads the database
    assert missed is None
    await home.forget([7])  # meanwhile a write commits
    await home.store(bound, {"me": {"displayName": "old"}})
    stale, bound = await home.lookup(slot)
    assert stale is None
    await home.store(bound, {"me": {"displayName": "new"}})
    assert (await home.lookup(slot))[0] == {"me": {"displayName": "new"}}


def test_only_a_members_own_me_queries_qualify():
    home = HomeCache(MemoryCache(), ttl_s=10)
    assert home_slot(home, 1, HOME, None, None) is not None
    assert home_slot(home, 1, MIXED, None, None) is None
    assert home_slot(home, 1, UPDATE, None, {"in": {}}) is None
    assert home_slot(home, 1, "{ me {", None, None) is None  # unparsable: executed, not cached
    assert home_slot(HomeCache(MemoryCache(), ttl_s=0), 1, HOME, None, None) is None  # off


def test_the_cache_may_not_outlive_half_a_scan_code():
    with pytest.raises(ConfigError, match="HOME_CACHE_TTL_S"):
        Settings(app_env="test", home_cache_ttl_s=31, scan_code_ttl_s=60)
    assert Settings(app_env="test", home_cache_ttl_s=30, scan_code_ttl_s=60).home_cache_ttl_s == 30


async def test_an_event_recorded_outside_the_api_forgets_once_the_relay_claims_it(
    gql, client, seed, app, cached
):
    """A worker or batch records events with no request around them: the outbox's member
    hook, not the worker, tells the home cache when the relay claims them."""
    _, _, pk = await pos_and_member(gql, client, seed)
    member = await as_member(gql, app, pk)
    first = await _home(member)
    await Member.filter(id=pk).update(display_name="由夜间任务改名")
    assert await _home(member) == first  # no event yet: still the cached answer
    async with in_transaction():
        await outbox.record("test.member_touched", {"member_id": pk})  # a topic no one hears
    await relay_once()
    assert (await _home(member))["displayName"] == "由夜间任务改名"
