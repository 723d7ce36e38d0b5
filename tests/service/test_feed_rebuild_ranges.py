"""The rebuild's reads and range jobs under failure: phase 1's one sorted read never
splits a member between two chunks; a range job that dies after its first sub-batch and
runs again writes every member once (no document version bumped twice, the range
counted once); a nightly run marks a rebuild left RUNNING for over a day FAILED."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from domain import clock
from domain.db import in_transaction
from domain.feeds import rebuild
from domain.feeds.model import RebuildStatus
from domain.feeds.store import build
from domain.feeds.tables import FeedMember, FeedRebuild, FeedRebuildRange
from domain.orders.store import feed_lines
from tests.factories import (
    allow_backdating,
    pos_and_member,
)
from tests.feed_factories import (
    feed_order,
    feed_products,
)
from tests.isolation import settle

MEMBERS = 6


def quiet(_m: str) -> None:
    return None


async def plant(app, gql, client, seed, monkeypatch) -> list[int]:
    """Members with a few baskets each (their order-time refreshes done)."""
    allow_backdating(app, monkeypatch)
    await feed_products(gql)
    pks = []
    for k in range(MEMBERS):
        pos, card, pk = await pos_and_member(gql, client, seed)
        for days in (30, 12, 3)[: 1 + k % 3]:
            await feed_order(pos, card, ["FEED-BREAD", "FEED-MILK", "FEED-BEER"][: 1 + k % 3], days)
        pks.append(pk)
    await settle(app)
    return pks


async def test_the_sorted_read_never_splits_a_member(app, gql, client, seed, monkeypatch):
    pks = await plant(app, gql, client, seed, monkeypatch)
    begin, end = rebuild.window(clock.now(), app.state.rt.settings)
    whole = [c async for c in feed_lines.feed_line_chunks(begin, end, rebuild.LEFT_OUT)]
    small = [c async for c in feed_lines.feed_line_chunks(begin, end, rebuild.LEFT_OUT, lines=2)]
    assert len(small) > 1
    seen: set[int] = set()
    for member, _day, _item, _store in small:
        assert member.size and np.all(np.diff(member) >= 0)  # by member
        ids = set(member.tolist())
        assert not ids & seen  # a member lies in one chunk only
        seen |= ids
    assert set(pks) <= seen
    assert sum(c[0].size for c in small) == sum(c[0].size for c in whole)


async def test_a_range_that_died_after_its_first_sub_batch_runs_again_once(
    app, gql, client, seed, monkeypatch
):
    pks = await plant(app, gql, client, seed, monkeypatch)
    s = app.state.rt.settings
    before = dict(await FeedMember.filter(member_id__in=pks).values_list("member_id", "version"))
    started = await rebuild.start(s, announce=False, progress=quiet)
    (range_id,) = started.range_ids
    row = await build.open_range(range_id)
    assert row is not None
    # sub-batches of a few member ids: the planted members fall in several of them
    monkeypatch.setattr(rebuild, "RANGE_CHUNK_MEMBERS", max(1, (max(pks) - min(pks)) // 3))
    real = build.write_members
    calls = {"written": 0}

    async def dies_on_the_second_batch(docs, rebuild_id, computed_at):
        docs = list(docs)
        if docs and calls["written"]:
            raise RuntimeError("worker killed")
        calls["written"] += bool(docs)
        return await real(docs, rebuild_id, computed_at)

    monkeypatch.setattr(build, "write_members", dies_on_the_second_batch)
    with pytest.raises(RuntimeError, match="worker killed"):
        await rebuild.run_range(s, range_id, progress=quiet)
    first = await build.count_of_rebuild(row.lo, row.hi, started.rebuild_id)
    assert 0 < first < MEMBERS  # the first sub-batch is committed, the rest is not
    assert (await FeedRebuildRange.get(id=range_id)).done_at is None
    assert (await FeedRebuild.get(id=started.rebuild_id)).status == RebuildStatus.RUNNING.value

    monkeypatch.setattr(build, "write_members", real)
    written = await rebuild.run_range(s, range_id, progress=quiet)  # the re-delivery
    after = dict(await FeedMember.filter(member_id__in=pks).values_list("member_id", "version"))
    assert after == {pk: before[pk] + 1 for pk in pks}  # each written once by this rebuild
    rebuilt = await FeedMember.filter(member_id__in=pks, rebuild_id=started.rebuild_id).count()
    assert rebuilt == MEMBERS
    run = await FeedRebuild.get(id=started.rebuild_id)
    assert (run.status, run.ranges_done, run.members_done) == (
        RebuildStatus.DONE.value,
        1,
        written,
    )
    assert written is not None and written >= MEMBERS
    assert await rebuild.run_range(s, range_id, progress=quiet) is None  # done: nothing


async def test_a_nightly_run_fails_a_rebuild_left_running_for_a_day(app, seed):
    s = app.state.rt.settings
    now = clock.now()
    far = 10**12  # member ids nobody has
    async with in_transaction():
        old, _ = await build.create_rebuild(
            (now, now), [(far, far + 10)], now - timedelta(days=1, minutes=1), {}
        )
        recent, _ = await build.create_rebuild(
            (now, now), [(far, far + 10)], now - timedelta(hours=20), {}
        )
    await rebuild.start(s, announce=False, progress=quiet)
    stale = await FeedRebuild.get(id=old)
    assert stale.status == RebuildStatus.FAILED.value
    assert stale.finished_at is not None and "a range failed" in stale.detail["error"]
    assert (await FeedRebuild.get(id=recent)).status == RebuildStatus.RUNNING.value


async def test_the_global_tables_are_replaced_together_or_not_at_all(app, monkeypatch):
    """A failure writing the last table (product stats) leaves the rules and neighbours
    as they were: readers never see one night's rules with another's stats."""
    from domain.feeds.engine import GlobalModel, Rule
    from domain.feeds.tables import FeedRule

    await build.replace_global(GlobalModel(rules={1: [Rule(1, 2, 5, 0.1, 0.5, 2.0)]}))
    before = await FeedRule.all().values_list("antecedent_id", "consequent_id", "lift")
    assert before == [(1, 2, 2.0)]
    original = build._replace

    async def failing(table, columns, rows):
        if table == "feed_product_stats":
            raise RuntimeError("disk full")
        await original(table, columns, rows)

    monkeypatch.setattr(build, "_replace", failing)
    tonight = GlobalModel(rules={3: [Rule(3, 4, 9, 0.2, 0.6, 3.0)]})
    with pytest.raises(RuntimeError):
        await build.replace_global(tonight)
    assert await FeedRule.all().values_list("antecedent_id", "consequent_id", "lift") == before
