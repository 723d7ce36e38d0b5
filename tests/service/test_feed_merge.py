"""A member merge moves the absorbed member's feed state to the survivor (dismissals,
category mutes, the stricter personalisation choice, feed events) and an unmerge puts
back exactly what was there, through the memberMerge / memberUnmerge mutations."""

from __future__ import annotations

from datetime import timedelta

from domain import clock
from domain.feeds.tables import FeedDismissal, FeedEvent, FeedMember, FeedMute, FeedPreference
from tests.conftest import sign_in_staff
from tests.factories import (
    REGISTER,
    as_member,
    new_phone,
    pk_of,
)
from tests.feed_factories import (
    FEED,
    feed_item_id,
    feed_product,
    plant_popular,
    plant_products,
)

MERGE = """mutation($s: ID!, $a: ID!) { memberMerge(survivorId: $s, absorbedId: $a,
  reason: "同一顾客的两个手机号") {
  __typename ... on MemberMerge { id } ... on UserError { code } } }"""
UNMERGE = """mutation($m: ID!) { memberUnmerge(mergeId: $m, reason: "误合并") {
  __typename ... on MemberMerge { undoneAt } ... on UserError { code } } }"""
DISMISS = """mutation($i: ID!, $r: FeedDismissReason!) { feedItemDismiss(itemId: $i, reason: $r) {
  __typename } }"""
MUTE = """mutation($c: String!) { feedCategoryMute(category: $c) { __typename } }"""
PREFS = """mutation($p: Boolean!) { feedPreferencesUpdate(personalised: $p) { __typename } }"""
EVENTS = """mutation($e: [FeedEventInput!]!) { feedEventsRecord(events: $e) {
  ... on FeedEventsRecordSuccess { accepted } } }"""
SETTINGS = (
    """{ me { feedSettings { personalised mutedCategories dismissedItems { id reason } } } }"""
)


async def _feed_state(pk: int) -> dict:
    return {
        "dismissals": sorted(
            await FeedDismissal.filter(member_id=pk).values_list(
                "item_key", "reason", "created_at", "until"
            )
        ),
        "mutes": sorted(await FeedMute.filter(member_id=pk).values_list("category", flat=True)),
        "preference": list(
            await FeedPreference.filter(member_id=pk).values_list("personalised", flat=True)
        ),
        "events": sorted(await FeedEvent.filter(member_id=pk).values_list("id", "client_event_id")),
    }


async def _version(pk: int) -> int:
    return (await FeedMember.get(member_id=pk)).version


def _event(cid: str, pid: int) -> dict:
    return {
        "clientEventId": cid,
        "itemId": feed_item_id(f"product:{pid}"),
        "kind": "SIMILAR_MEMBERS",
        "event": "CLICK",
        "occurredAt": clock.now().isoformat(),
    }


async def test_merge_moves_feed_state_and_unmerge_restores_it(gql, app):
    admin = await sign_in_staff(gql, "admin@test.cn")
    gids = []
    for _ in range(2):
        r = await admin(REGISTER, {"in": {"phone": new_phone(), "homeStoreCode": "SH01"}})
        gids.append(r["data"]["memberRegister"]["member"]["id"])
    survivor, absorbed = (pk_of(g) for g in gids)
    milk = await feed_product(gql, "生鲜/乳品/牛奶")
    soap = await feed_product(gql, "日用/清洁/香皂")
    await feed_product(gql, "零食/坚果")
    juice, bread = await plant_products(("橙汁", "饮料/果汁"), ("吐司", "烘焙/面包"))
    await plant_popular("CHAIN", 0, [juice, bread])  # what both members are shown
    s, a = await as_member(gql, app, survivor), await as_member(gql, app, absorbed)

    await s(DISMISS, {"i": feed_item_id(f"product:{milk}"), "r": "NOT_INTERESTED"})
    await s(MUTE, {"c": "零食"})
    assert (await s(EVENTS, {"e": [_event("e-1", milk)]}))["data"]["feedEventsRecord"] == {
        "accepted": 1
    }
    clock.advance(timedelta(days=1))
    a = await as_member(gql, app, absorbed)
    await a(DISMISS, {"i": feed_item_id(f"product:{milk}"), "r": "ALREADY_BOUGHT"})
    await a(DISMISS, {"i": feed_item_id(f"product:{soap}"), "r": "NOT_RELEVANT"})
    await a(DISMISS, {"i": feed_item_id(f"product:{juice}"), "r": "NOT_INTERESTED"})
    await a(MUTE, {"c": "零食"})
    await a(MUTE, {"c": "日用"})
    batch = [_event("e-1", milk), _event("e-2", soap)]
    assert (await a(EVENTS, {"e": batch}))["data"]["feedEventsRecord"] == {"accepted": 2}
    await a(PREFS, {"p": False})  # after the events: personal kinds are skipped once off
    before = {pk: await _feed_state(pk) for pk in (survivor, absorbed)}
    versions = {pk: await _version(pk) for pk in (survivor, absorbed)}

    agent = await sign_in_staff(gql, "agent@test.cn")
    merged = (await agent(MERGE, {"s": gids[0], "a": gids[1]}))["data"]["memberMerge"]
    assert merged["__typename"] == "MemberMerge", merged
    after = {pk: await _feed_state(pk) for pk in (survivor, absorbed)}
    # the absorbed record keeps its own choice (it is copied, not moved): nothing to undo
    assert after[absorbed] == {"dismissals": [], "mutes": [], "preference": [False], "events": []}
    got = after[survivor]
    # milk: one dismissal, the absorbed one's later until and its reason; soap moved over
    a_milk = next(d for d in before[absorbed]["dismissals"] if d[0] == f"product:{milk}")
    s_milk = next(d for d in got["dismissals"] if d[0] == f"product:{milk}")
    assert s_milk[1] == "ALREADY_BOUGHT" and s_milk[3] == a_milk[3]
    assert sorted(d[0] for d in got["dismissals"]) == sorted(
        [f"product:{milk}", f"product:{soap}", f"product:{juice}"]
    )
    assert got["mutes"] == ["日用", "零食"]
    assert got["preference"] == [False]  # personalised off on either side: off
    assert sorted(c for _i, c in got["events"]) == ["e-1", f"e-1~{absorbed}", "e-2"]
    for pk in (survivor, absorbed):  # neither feed is served from a cache
        assert await _version(pk) > versions[pk]

    s = await as_member(gql, app, survivor)
    settings = (await s(SETTINGS))["data"]["me"]["feedSettings"]
    assert settings["personalised"] is False and settings["mutedCategories"] == ["日用", "零食"]
    assert len(settings["dismissedItems"]) == 3
    # the survivor's served feed: the absorbed member's dismissal keeps 橙汁 out
    feed = (await s(FEED, {"first": 50}))["data"]["me"]["feed"]["edges"]
    names = {e["node"]["product"]["name"] for e in feed if "product" in e["node"]}
    assert "吐司" in names and "橙汁" not in names

    undone = (await agent(UNMERGE, {"m": merged["id"]}))["data"]["memberUnmerge"]
    assert undone["__typename"] == "MemberMerge" and undone["undoneAt"], undone
    assert {pk: await _feed_state(pk) for pk in (survivor, absorbed)} == before
