"""The nightly rebuild of the feed read model.

Phase 1 (``start``, one job): read the last FEED_HISTORY_DAYS of order lines (members
who turned personalisation off, merged or erased members left out; walk-in orders
count as anonymous one-basket buyers), stream them into ``engine.Trainer``, replace
neighbours, rules, popularity and product stats, and create the rebuild row with its
member-id ranges (FEED_REBUILD_RANGE_MEMBERS ids each) — one ``feeds.rebuild_range``
event per range in the same transaction, so several worker machines share the night.

Phase 2 (``run_range``, one job per range, idempotent by its range row and the
documents' ``rebuild_id``): load the global model from the tables, then per sub-batch of
RANGE_CHUNK_MEMBERS member ids read their histories, ``engine.member_docs``, upsert
their documents (version + 1) in a short transaction; the last one marks the range
done; the range that completes the count marks the rebuild DONE. A nightly run that
finds an older rebuild RUNNING for more than STALE_AFTER marks it FAILED (a range that
failed on every retry never completes its count).

Phase 1 reads every line of the window in one query sorted by member (one COPY on
PostgreSQL, streamed) and cuts it at member boundaries into chunks for the trainer.

Memory: phase 1 holds a few chunks of lines and the trainer's products x products
counts; a range holds one sub-batch of lines and its documents, never all members.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from domain import clock
from domain.catalog import store as catalog
from domain.config import Settings
from domain.db import in_transaction
from domain.events import outbox
from domain.feeds.engine import EngineParams, GlobalModel, Purchases, Trainer, member_docs
from domain.feeds.store import build
from domain.members.model import Status as MemberStatus
from domain.orders.store import feed_lines
from domain.org import store as org

log = logging.getLogger("loyalty.feeds")
TOPIC_REBUILD_RANGE = "feeds.rebuild_range"
LEFT_OUT = (MemberStatus.MERGED.value, MemberStatus.ERASED.value)  # no member signals
TRAIN_CHUNK_LINES = 3_000_000  # lines per Trainer.add in phase 1 (each chunk adds its
# pair counts to the whole so far: fewer, larger chunks cost less)
RANGE_CHUNK_MEMBERS = 5_000  # member ids read, computed and written at a time in a range
STALE_AFTER = timedelta(days=1)  # a rebuild RUNNING longer: one of its ranges failed
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Started:
    rebuild_id: int
    range_ids: list[int]
    model: GlobalModel
    today: date


def window(now: datetime, settings: Settings) -> tuple[datetime, datetime]:
    """[start, end): the last FEED_HISTORY_DAYS business days up to ``now``."""
    today = clock.business_date(now)
    return clock.day_start(today - timedelta(days=settings.feed_history_days - 1)), now


async def categories() -> dict[int, str]:
    """Every product's category path."""
    out: dict[int, str] = {}
    after: int | None = None
    while True:
        rows = await catalog.rows_page(
            after_id=after, limit=5000, category=None, columns=("id", "category_path")
        )
        if not rows:
            return out
        out.update((r["id"], r["category_path"]) for r in rows)
        after = rows[-1]["id"]


async def member_lines(
    lo: int, hi: int, start: datetime, end: datetime
) -> tuple[Purchases, list[int]]:
    """Lines of members lo <= id < hi who count (see the module doc), and the members of
    the span who turned personalisation off."""
    member, day, item, store = await feed_lines.feed_lines_of_members(lo, hi, start, end, LEFT_OUT)
    off = await build.not_personalised(lo, hi)
    if off and member.size:
        keep = ~np.isin(member, np.asarray(off, np.int64))
        member, day, item, store = member[keep], day[keep], item[keep], store[keep]
    return Purchases(member=member, day=day, item=item, store=store), off


def _spans(lo: int, hi: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size, hi)) for a in range(lo, hi, size)]


async def start(
    settings: Settings, *, announce: bool = True, progress: Progress = log.info
) -> Started:
    """Phase 1: train on every line, replace the global tables, create the rebuild and
    its ranges (with ``announce``, one ``feeds.rebuild_range`` event per range)."""
    now = clock.now()
    for stale in await build.fail_stale(now - STALE_AFTER, now):
        progress(f"feeds rebuild {stale}: still RUNNING after {STALE_AFTER}, marked FAILED")
    today = clock.business_date(now)
    begin, end = window(now, settings)
    params = EngineParams.from_settings(settings)
    t0 = time.perf_counter()
    store_ids = await feed_lines.feed_store_ids(begin, end)
    regions = {s.id: s.region_id for s in (await org.stores_by_ids(store_ids)).values()}
    trainer = Trainer(params, store_region=regions)
    spans = [
        s for s in (await feed_lines.feed_member_span(begin, end), await build.member_span()) if s
    ]
    lo = min(s[0] for s in spans) if spans else 0
    hi = max(s[1] for s in spans) + 1 if spans else 0
    off = np.asarray(await build.not_personalised(lo, hi), np.int64)
    lines = members = walk_in_lines = 0
    read_s = train_s = 0.0
    for walk_ins in (False, True):
        r0 = time.perf_counter()
        stream = feed_lines.feed_line_chunks(
            begin, end, LEFT_OUT, walk_ins=walk_ins, lines=TRAIN_CHUNK_LINES
        )
        async with contextlib.aclosing(stream) as chunks:
            async for member, day, item, store in chunks:
                read_s += time.perf_counter() - r0
                if off.size and not walk_ins:
                    keep = ~np.isin(member, off)
                    member, day, item, store = member[keep], day[keep], item[keep], store[keep]
                chunk = Purchases(member=member, day=day, item=item, store=store)
                a0 = time.perf_counter()
                # in a thread: the next chunk streams in meanwhile (the read waits for this)
                await asyncio.to_thread(trainer.add, chunk)
                train_s += time.perf_counter() - a0
                if walk_ins:
                    walk_in_lines += len(chunk)
                else:
                    lines += len(chunk)
                    members += int(np.count_nonzero(np.diff(member))) + 1 if member.size else 0
                    progress(f"feeds rebuild: trained on {members:,} members ({lines:,} lines)")
                r0 = time.perf_counter()
    t1 = time.perf_counter()
    model = trainer.finish(today)
    t2 = time.perf_counter()
    rows = await build.replace_global(model)
    t3 = time.perf_counter()
    ranges = _spans(lo, hi, settings.feed_rebuild_range_members)
    detail: dict[str, Any] = {
        "train": {
            "lines": int(lines),
            "walk_in_lines": walk_in_lines,
            "members": int(members),
            "baskets": model.baskets,
            "read_s": round(read_s, 2),  # waiting for lines (not overlapped with training)
            "add_s": round(train_s, 2),
            "seconds": round(t1 - t0, 2),
        },
        "finish_s": round(t2 - t1, 2),
        "write": {**rows, "seconds": round(t3 - t2, 2)},
    }
    async with in_transaction():
        rebuild_id, range_ids = await build.create_rebuild((begin, end), ranges, now, detail)
        if announce:
            await outbox.record_many(
                [
                    (TOPIC_REBUILD_RANGE, {"range_id": rid, "rebuild_id": rebuild_id})
                    for rid in range_ids
                ]
            )
    progress(
        f"feeds rebuild {rebuild_id}: {int(lines):,} lines of {int(members):,} members, "
        f"{rows['rules']:,} rules, {rows['neighbours']:,} neighbours; {len(ranges)} ranges"
    )
    return Started(rebuild_id, range_ids, model, today)


async def run_range(
    settings: Settings,
    range_id: int,
    *,
    model: GlobalModel | None = None,
    category_of: Mapping[int, str] | None = None,
    progress: Progress = log.info,
) -> int | None:
    """Phase 2 for one range, RANGE_CHUNK_MEMBERS member ids at a time, each written in
    a short transaction of its own (an order-time refresh of one of the range's members
    waits for one of those at most); the last one also empties the documents of members
    left without history and marks the range done. Returns the range's members written
    by this rebuild; None when the range was done already (a re-delivered message).

    Idempotent: a range run again after a crash skips the members this rebuild wrote
    already (``FeedMember.rebuild_id``), so no document is written twice."""
    t0 = time.perf_counter()
    params = EngineParams.from_settings(settings)
    row = await build.open_range(range_id)
    if row is None:
        return None
    if model is None:
        model = await build.load_model()
    if category_of is None:
        category_of = await categories()
    today = clock.business_date(row.window_end)
    since = clock.now()  # documents computed before this run and not by this rebuild
    spans = _spans(row.lo, row.hi, RANGE_CHUNK_MEMBERS)
    written = cleared = skipped = 0
    done = False
    for k, (a, b) in enumerate(spans):
        read_at = clock.now()
        chunk, off = await member_lines(a, b, row.window_start, row.window_end)
        again = await build.members_of_rebuild(a, b, row.rebuild_id)
        if again:
            skipped += len(again)
            redo = np.asarray(sorted(again), np.int64)
            keep = ~np.isin(chunk.member, redo)
            chunk = Purchases(
                member=chunk.member[keep],
                day=chunk.day[keep],
                item=chunk.item[keep],
                store=None if chunk.store is None else chunk.store[keep],
            )
            off = [m for m in off if m not in again]
        # the documents serialised straight from the arrays (no Candidate objects)
        docs = list(member_docs(chunk, model, today, params, category_of))
        docs += [(m, build.EMPTY_DOC) for m in off]  # no personal document
        async with in_transaction():
            if await build.lock_open_range(range_id) is None:
                return None  # another delivery finished it meanwhile
            await build.write_members(docs, row.rebuild_id, read_at)
            if k == len(spans) - 1:
                written = await build.count_of_rebuild(row.lo, row.hi, row.rebuild_id)
                cleared = await build.clear_others(row.lo, row.hi, row.rebuild_id, since)
                done = await build.finish_range(row, written, clock.now())
    seconds = time.perf_counter() - t0
    progress(
        f"feeds rebuild {row.rebuild_id}: range {row.lo:,}-{row.hi - 1:,}: {written:,} "
        f"members ({skipped:,} written before), {cleared:,} cleared ({seconds:.1f} s)"
    )
    if done:
        run = await build.rebuild_row(row.rebuild_id)
        finished = run.finished_at or clock.now()
        await build.merge_detail(
            row.rebuild_id,
            {
                "ranges": {
                    "members": run.members_done,
                    "seconds": round((finished - run.started_at).total_seconds(), 2),
                }
            },
        )
        progress(f"feeds rebuild {row.rebuild_id} done: {run.members_done:,} members")
    return written


async def rebuild_now(settings: Settings, progress: Progress = log.info) -> dict[str, Any]:
    """Every phase inline, here (tests, the CLI, the demo loader): phase 1, then each
    range. Returns the rebuild's status and detail."""
    t0 = time.perf_counter()
    started = await start(settings, announce=False, progress=progress)
    t1 = time.perf_counter()
    category_of = await categories()
    for range_id in started.range_ids:
        await run_range(
            settings, range_id, model=started.model, category_of=category_of, progress=progress
        )
    t2 = time.perf_counter()
    run = await build.rebuild_row(started.rebuild_id)
    detail = dict(run.detail or {})
    detail["inline"] = {"phase1_s": round(t1 - t0, 2), "ranges_s": round(t2 - t1, 2)}
    await build.merge_detail(started.rebuild_id, {"inline": detail["inline"]})
    return {
        "rebuild_id": started.rebuild_id,
        "status": run.status,
        "ranges": run.ranges_total,
        "members_done": run.members_done,
        **detail,
    }
