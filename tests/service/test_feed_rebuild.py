"""The nightly feed rebuild over a small planted chain (members and orders made through
the API): the rules, neighbours and popularity it writes match direct counts, members'
documents hold the planted complements, a member who turned personalisation off is left
out of training and gets an empty document, and a range job runs once."""

from __future__ import annotations

import pytest

from domain import clock
from domain.feeds import rebuild, refresh
from domain.feeds.model import FeedKind, MemberModel, RebuildStatus
from domain.feeds.store import build
from domain.feeds.tables import (
    FeedMember,
    FeedNeighbour,
    FeedPopularity,
    FeedPreference,
    FeedRebuild,
    FeedRebuildRange,
    FeedRule,
)
from tests.factories import (
    ORDER,
    allow_backdating,
    order_input,
    pos_and_member,
)
from tests.feed_factories import (
    feed_order,
    feed_products,
)
from tests.isolation import settle

BREAKFAST = 6  # members with three BREAD + MILK baskets
PARTY = 3  # members with two BEER + CHIPS baskets


async def plant(app, gql, client, seed, monkeypatch) -> dict:
    allow_backdating(app, monkeypatch)
    ids = await feed_products(gql)
    pos = None
    breakfast = []
    for _ in range(BREAKFAST):
        pos, card, pk = await pos_and_member(gql, client, seed)
        for days in (40, 25, 10):
            await feed_order(pos, card, ["FEED-BREAD", "FEED-MILK"], days)
        breakfast.append(pk)
    party = []
    for _ in range(PARTY):
        pos, card, pk = await pos_and_member(gql, client, seed)
        for days in (30, 12):
            await feed_order(pos, card, ["FEED-BEER", "FEED-CHIPS"], days)
        party.append(pk)
    pos, wine_card, wine = await pos_and_member(gql, client, seed)
    for days in (50, 35, 20, 5):
        await feed_order(pos, wine_card, ["FEED-WINE", "FEED-CHEESE"], days)
    pos, target_card, target = await pos_and_member(gql, client, seed)
    await feed_order(pos, target_card, ["FEED-BREAD"], 3)
    walk_in = order_input(
        "", fen=1000, lines=[{"sku": "FEED-BUTTER", "quantity": 1, "unitPriceFen": 1000}]
    )
    del walk_in["member"]  # no member: counts for popularity and baskets, nobody's history
    r = await pos(ORDER, {"in": walk_in})
    assert r["data"]["orderCreate"]["__typename"] == "OrderCreateSuccess", r
    await FeedPreference.create(member_id=wine, personalised=False, updated_at=clock.now())
    await settle(app)  # the order-time refreshes of the planted orders are done
    return {
        "ids": ids,
        "breakfast": breakfast,
        "party": party,
        "wine": wine,
        "target": target,
        "pos": pos,
        "target_card": target_card,
    }


def settings_of(app):
    return app.state.rt.settings


async def rule(ids: dict, a: str, c: str) -> FeedRule | None:
    return await FeedRule.get_or_none(antecedent_id=ids[a], consequent_id=ids[c])


async def doc_of(pk: int) -> MemberModel:
    return MemberModel.loads((await FeedMember.get(member_id=pk)).doc)


async def test_rebuild_writes_the_planted_rules_neighbours_popularity_and_documents(
    app, gql, client, seed, monkeypatch
):
    p = await plant(app, gql, client, seed, monkeypatch)
    ids = p["ids"]
    result = await rebuild.rebuild_now(settings_of(app), progress=lambda _m: None)
    assert result["status"] == RebuildStatus.DONE

    # direct counts: baskets are (member, day) and each walk-in order; the wine member
    # is left out
    baskets = BREAKFAST * 3 + PARTY * 2 + 1 + 1
    assert result["train"]["baskets"] == baskets
    assert result["train"]["walk_in_lines"] == 1
    both, bread = BREAKFAST * 3, BREAKFAST * 3 + 1
    r = await rule(ids, "FEED-BREAD", "FEED-MILK")
    assert r is not None and r.baskets == both
    assert r.support == pytest.approx(both / baskets)
    assert r.confidence == pytest.approx(both / bread)
    assert r.lift == pytest.approx((both / bread) / (both / baskets))
    assert (await rule(ids, "FEED-BEER", "FEED-CHIPS")).baskets == PARTY * 2
    assert await rule(ids, "FEED-WINE", "FEED-CHEESE") is None  # personalisation off
    assert await rule(ids, "FEED-BREAD", "FEED-BEER") is None  # never together

    nb = await FeedNeighbour.get(product_id=ids["FEED-MILK"], neighbour_id=ids["FEED-BREAD"])
    assert nb.co_buyers == BREAKFAST and nb.rank == 1
    chain = {
        r.product_id: r.buyers
        for r in await FeedPopularity.filter(scope="CHAIN", scope_id=0, product_id__in=ids.values())
    }
    assert chain == {
        ids["FEED-BREAD"]: BREAKFAST + 1,
        ids["FEED-MILK"]: BREAKFAST,
        ids["FEED-BEER"]: PARTY,
        ids["FEED-CHIPS"]: PARTY,
        ids["FEED-BUTTER"]: 1,  # the walk-in order
    }
    assert await FeedPopularity.filter(scope="STORE").exists()

    # the target bought bread: milk goes with it; bread is in recent (not replenishable)
    target = await doc_of(p["target"])
    milk = [c for c in target.candidates if c.product_id == ids["FEED-MILK"]]
    assert milk and milk[0].kind == FeedKind.BOUGHT_TOGETHER
    assert milk[0].ref_product_id == ids["FEED-BREAD"]
    assert ids["FEED-BREAD"] in target.recent
    # the wine member: a row, empty, written by this rebuild
    wine = await FeedMember.get(member_id=p["wine"])
    assert wine.doc == build.EMPTY_DOC and wine.rebuild_id == result["rebuild_id"]

    run = await FeedRebuild.get(id=result["rebuild_id"])
    assert run.ranges_done == run.ranges_total >= 1 and run.finished_at is not None
    assert run.members_done == BREAKFAST + PARTY + 2
    assert {"train", "write", "ranges"} <= set(run.detail), run.detail

    # an order-time refresh keeps a member who turned personalisation off empty
    assert await refresh.member(settings_of(app), p["wine"]) == wine.version + 1
    assert (await FeedMember.get(member_id=p["wine"])).doc == build.EMPTY_DOC
    wine = await FeedMember.get(member_id=p["wine"])

    # personalisation back on: the next rebuild learns the wine member's baskets
    await FeedPreference.filter(member_id=p["wine"]).update(personalised=True)
    await rebuild.rebuild_now(settings_of(app), progress=lambda _m: None)
    assert (await rule(ids, "FEED-WINE", "FEED-CHEESE")).baskets == 4
    assert (await FeedMember.get(member_id=p["wine"])).version == wine.version + 1
    assert (await doc_of(p["wine"])).recent  # a personal document now


async def test_a_range_runs_once(app, gql, client, seed, monkeypatch):
    p = await plant(app, gql, client, seed, monkeypatch)
    s = settings_of(app)
    started = await rebuild.start(s, announce=False, progress=lambda _m: None)
    (range_id,) = started.range_ids
    written = await rebuild.run_range(s, range_id, progress=lambda _m: None)
    assert written is not None and written >= BREAKFAST + PARTY + 2  # (earlier tests' too)

    async def state() -> tuple:
        rows = (
            await FeedMember.all()
            .order_by("member_id")
            .values_list("member_id", "doc", "version", "rebuild_id")
        )
        run = await FeedRebuild.get(id=started.rebuild_id)
        done = await FeedRebuildRange.get(id=range_id)
        return rows, run.ranges_done, run.members_done, run.status, done.done_at, done.members

    before = await state()
    assert before[1:4] == (1, written, RebuildStatus.DONE)
    assert await rebuild.run_range(s, range_id, progress=lambda _m: None) is None  # re-delivered
    assert await state() == before
    assert (await doc_of(p["target"])).candidates
