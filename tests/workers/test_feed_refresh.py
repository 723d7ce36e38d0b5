"""The order-time refresh and the range jobs through the workers: an order.created event
rewrites the member's document at once (through the in-process broker on SQLite, the
worker process on PostgreSQL); on PostgreSQL, concurrent refreshes of one member and
concurrent range jobs of one rebuild lose nothing."""

from __future__ import annotations

import asyncio

import pytest

from domain import clock
from domain.db import in_transaction
from domain.feeds import rebuild, refresh
from domain.feeds.model import FeedKind, MemberModel, RebuildStatus
from domain.feeds.store import build
from domain.feeds.tables import FeedMember, FeedRebuild, FeedRebuildRange
from tests.conftest import wait_for
from tests.factories import (
    as_member,
)
from tests.feed_factories import (
    beer_and_chips_chain,
    feed_order,
)
from tests.isolation import settle


async def plant(app, gql, client, seed, monkeypatch) -> dict:
    """Four members who buy BEER with CHIPS, one who bought BREAD: rebuilt."""
    return await beer_and_chips_chain(app, gql, client, seed, monkeypatch)


async def doc_and_version(pk: int) -> tuple[MemberModel, int]:
    row = await FeedMember.get(member_id=pk)
    return MemberModel.loads(row.doc), row.version


async def test_an_order_rewrites_the_document_at_once(app, gql, client, seed, monkeypatch):
    p = await plant(app, gql, client, seed, monkeypatch)
    ids = p["ids"]
    before, version = await doc_and_version(p["pk"])
    assert ids["FEED-CHIPS"] not in {c.product_id for c in before.candidates}

    await feed_order(p["pos"], p["card"], ["FEED-BEER"])

    async def refreshed():
        doc, v = await doc_and_version(p["pk"])
        return (doc, v) if v > version else None

    doc, _v = await wait_for(refreshed)
    chips = [c for c in doc.candidates if c.product_id == ids["FEED-CHIPS"]]
    assert chips and chips[0].kind == FeedKind.BOUGHT_TOGETHER  # the new basket's complement
    assert chips[0].ref_product_id == ids["FEED-BEER"]
    assert doc.recent[ids["FEED-BEER"]] == clock.business_date()  # bought: leaves the feed
    row = await FeedMember.get(member_id=p["pk"])
    assert row.rebuild_id is None  # written by the order, not a rebuild


@pytest.mark.backend("postgres")
async def test_concurrent_refreshes_of_one_member_lose_nothing(app, gql, client, seed, monkeypatch):
    p = await plant(app, gql, client, seed, monkeypatch)
    s = app.state.rt.settings
    await feed_order(p["pos"], p["card"], ["FEED-BEER"])
    await settle(app)
    _doc, version = await doc_and_version(p["pk"])
    results = await asyncio.gather(*(refresh.member(s, p["pk"]) for _ in range(6)))
    assert sorted(results) == list(range(version + 1, version + 7))  # one after the other
    doc, final = await doc_and_version(p["pk"])
    assert final == version + 6
    assert p["ids"]["FEED-BEER"] in doc.recent and p["ids"]["FEED-BREAD"] in doc.recent


@pytest.mark.backend("postgres")
async def test_concurrent_ranges_count_each_range_once(app, seed):
    s = app.state.rt.settings
    now = clock.now()
    far = 10**12  # member ids nobody has: each range has nothing to write but its count
    ranges = [(far + k * 100, far + (k + 1) * 100) for k in range(8)]
    async with in_transaction():
        rebuild_id, range_ids = await build.create_rebuild((now, now), ranges, now, {})
    # every range twice at once (a re-delivered message racing the first)
    await asyncio.gather(
        *(rebuild.run_range(s, rid, progress=lambda _m: None) for rid in range_ids * 2)
    )
    run = await FeedRebuild.get(id=rebuild_id)
    assert (run.ranges_done, run.ranges_total, run.status) == (8, 8, RebuildStatus.DONE)
    assert run.finished_at is not None and "ranges" in run.detail
    assert await FeedRebuildRange.filter(rebuild_id=rebuild_id, done_at__isnull=True).count() == 0


async def test_the_nightly_job_runs_its_ranges_through_the_broker(
    app, gql, client, seed, monkeypatch
):
    """`loyalty jobs run feeds-rebuild` runs the job's body: phase 1 here, its ranges as
    `feeds.rebuild_range` events to the workers, which finish the rebuild."""
    from workers.scheduler import JOBS

    p = await plant(app, gql, client, seed, monkeypatch)
    before = await FeedRebuild.all().count()
    body = {j.name: j for j in JOBS}["feeds-rebuild"].body
    await body()
    run = await FeedRebuild.all().order_by("-id").first()
    assert run is not None and await FeedRebuild.all().count() == before + 1
    app.state.relay.kick()

    async def done():
        await run.refresh_from_db()
        return run.status == RebuildStatus.DONE

    await wait_for(done, within=30)
    assert run.ranges_done == run.ranges_total >= 1
    assert (await FeedMember.get(member_id=p["pk"])).rebuild_id == run.id


PREFS = """mutation($p: Boolean!) { feedPreferencesUpdate(personalised: $p) {
  __typename ... on FeedPreferencesUpdateSuccess { settings { personalised } } } }"""


async def test_a_preference_change_refreshes_the_document_at_once(
    app, gql, client, seed, monkeypatch
):
    """Off empties the member's document through the workers (no personal history is
    kept for serving); on again rebuilds it from their history at once, not the next
    night (it stayed popularity-only until then)."""
    p = await plant(app, gql, client, seed, monkeypatch)
    bread = p["ids"]["FEED-BREAD"]
    doc, version = await doc_and_version(p["pk"])
    assert bread in doc.recent
    me = await as_member(gql, app, p["pk"])

    async def changed_since(v: int, want):
        async def check():
            d, now_v = await doc_and_version(p["pk"])
            return (d, now_v) if now_v > v and want(d) else None

        return await wait_for(check)

    r = await me(PREFS, {"p": False})
    assert r["data"]["feedPreferencesUpdate"]["settings"] == {"personalised": False}
    off, v_off = await changed_since(version, lambda d: not d.recent)
    assert off == MemberModel()

    await me(PREFS, {"p": True})
    on, _ = await changed_since(v_off, lambda d: bool(d.recent))
    assert on.recent == doc.recent and on.rhythms == doc.rhythms
