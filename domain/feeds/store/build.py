"""Reads and writes of the read model by the nightly rebuild and the order-time refresh:
neighbours, rules, popularity and product stats (replaced wholesale, one transaction per
table), the member documents (upserts that bump ``version``), the rebuild and its ranges.

Bulk paths: on PostgreSQL the tables are refilled with ``COPY`` and member documents are
upserted from arrays (``unnest``) in one statement per batch; on SQLite with
``executemany``. Member documents carry ``computed_at`` = when the history they were
computed from was read: a write never replaces a document read later (an order-time
refresh that ran while a range was computing wins over the range)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.db import in_transaction
from domain.feeds.engine import GlobalModel, ProductStat, Rule
from domain.feeds.model import MemberModel, PopularityScope, RebuildStatus
from domain.feeds.store import F, Q, copy_rows, dialect, execute, execute_many
from domain.feeds.tables import (
    FeedMember,
    FeedNeighbour,
    FeedPopularity,
    FeedPreference,
    FeedProductStat,
    FeedRebuild,
    FeedRebuildRange,
    FeedRule,
)

EMPTY_DOC = MemberModel().dumps()


def _ints(values: Any) -> list[int]:
    """The ids of a ``values_list(..., flat=True)``."""
    return [int(v) for v in values]


async def _replace(table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Empty ``table`` and fill it with ``rows``, in one transaction (readers see the old
    rows until it commits)."""
    async with in_transaction():
        await execute(f"DELETE FROM {table}")  # noqa: S608 (a table of this module)
        if not rows:
            return
        if dialect() == "postgres":
            await copy_rows(table, columns, rows)
            return
        marks = ", ".join("?" for _ in columns)
        await execute_many(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            [list(r) for r in rows],
        )


async def replace_global(model: GlobalModel) -> dict[str, int]:
    """Replace neighbours, rules, popularity and product stats by ``model``'s, in one
    transaction (a reader never sees tonight's neighbours with last night's rules); rows
    written per table."""
    async with in_transaction():
        return await _replace_global(model)


async def _replace_global(model: GlobalModel) -> dict[str, int]:
    neighbours = [
        (p, nb, float(score), int(co), rank)
        for p, nbs in model.neighbours.items()
        for rank, (nb, score, co) in enumerate(nbs, start=1)
    ]
    await _replace(
        FeedNeighbour._meta.db_table,
        ("product_id", "neighbour_id", "score", "co_buyers", "rank"),
        neighbours,
    )
    rules = [
        (r.antecedent, r.consequent, r.baskets, r.support, r.confidence, r.lift)
        for rs in model.rules.values()
        for r in rs
    ]
    await _replace(
        FeedRule._meta.db_table,
        ("antecedent_id", "consequent_id", "baskets", "support", "confidence", "lift"),
        rules,
    )
    popular = [
        (scope.value, scope_id, p, int(buyers), float(score), rank)
        for (scope, scope_id), rows in model.popularity.items()
        for rank, (p, buyers, score) in enumerate(rows, start=1)
    ]
    await _replace(
        FeedPopularity._meta.db_table,
        ("scope", "scope_id", "product_id", "buyers", "score", "rank"),
        popular,
    )
    stats = [
        (p, s.first_sold_on, float(s.seasonal_lift), bool(s.replenishable), s.median_gap_days)
        for p, s in model.stats.items()
    ]
    await _replace(
        FeedProductStat._meta.db_table,
        ("product_id", "first_sold_on", "seasonal_lift", "replenishable", "median_gap_days"),
        stats,
    )
    return {
        "neighbours": len(neighbours),
        "rules": len(rules),
        "popularity": len(popular),
        "product_stats": len(stats),
    }


async def load_model(
    items: Collection[int] | None = None,
    *,
    new_since: date | None = None,
    seasonal_from: float | None = None,
) -> GlobalModel:
    """The global model as the tables hold it: all of it, or (``items``) the neighbours,
    rules and stats of those products, the stats of the products they point at and of
    the products first sold since ``new_since`` or with a seasonal lift of at least
    ``seasonal_from`` (the catalogue-wide candidates). Popularity lists only for the whole
    model: members' documents never use them (serving reads them near the member)."""
    nq = FeedNeighbour.all() if items is None else FeedNeighbour.filter(product_id__in=items)
    rq = FeedRule.all() if items is None else FeedRule.filter(antecedent_id__in=items)
    model = GlobalModel()
    for p, nb, score, co in await nq.order_by("product_id", "rank").values_list(
        "product_id", "neighbour_id", "score", "co_buyers"
    ):
        model.neighbours.setdefault(p, []).append((nb, score, co))
    for a, c, n, sup, conf, lift in await rq.order_by("antecedent_id", "-lift").values_list(
        "antecedent_id", "consequent_id", "baskets", "support", "confidence", "lift"
    ):
        model.rules.setdefault(a, []).append(Rule(a, c, n, sup, conf, lift))
    popular = (
        []
        if items is not None
        else await FeedPopularity.all()
        .order_by("scope", "scope_id", "rank")
        .values_list("scope", "scope_id", "product_id", "buyers", "score")
    )
    for scope, sid, p, buyers, score in popular:
        model.popularity.setdefault((PopularityScope(scope), sid), []).append((p, buyers, score))
    sq = FeedProductStat.all()
    if items is not None:
        wanted = set(items)
        for nbs in model.neighbours.values():
            wanted.update(nb for nb, _s, _c in nbs)
        for rs in model.rules.values():
            wanted.update(r.consequent for r in rs)
        where = Q(product_id__in=sorted(wanted))
        if new_since is not None:
            where |= Q(first_sold_on__gte=new_since)
        if seasonal_from is not None:
            where |= Q(seasonal_lift__gte=seasonal_from)
        sq = FeedProductStat.filter(where)
    for p, first, lift, rep, gap in await sq.values_list(
        "product_id", "first_sold_on", "seasonal_lift", "replenishable", "median_gap_days"
    ):
        if isinstance(first, str):
            first = date.fromisoformat(first)
        model.stats[p] = ProductStat(first, lift, bool(rep), gap)
    return model


# --- preferences --------------------------------------------------------------------------


async def not_personalised(lo: int, hi: int) -> list[int]:
    """Members lo <= id < hi who turned personalisation off."""
    rows = await FeedPreference.filter(
        member_id__gte=lo, member_id__lt=hi, personalised=False
    ).values_list("member_id", flat=True)
    return sorted(_ints(rows))


async def is_personalised(member_id: int) -> bool:
    row = await FeedPreference.get_or_none(member_id=member_id)
    return row is None or row.personalised


# --- the rebuild and its ranges -----------------------------------------------------------


@dataclass(frozen=True)
class RangeRow:
    id: int
    rebuild_id: int
    lo: int
    hi: int
    window_start: datetime
    window_end: datetime


async def member_span() -> tuple[int, int] | None:
    """(lowest, highest) member id with a document."""
    rows = await FeedMember.all().order_by("member_id").limit(1).values_list("member_id", flat=True)
    if not rows:
        return None
    top = await FeedMember.all().order_by("-member_id").limit(1).values_list("member_id", flat=True)
    return _ints(rows)[0], _ints(top)[0]


async def create_rebuild(
    window: tuple[datetime, datetime],
    ranges: Sequence[tuple[int, int]],
    now: datetime,
    detail: dict[str, Any],
) -> tuple[int, list[int]]:
    """The rebuild row (RUNNING; DONE at once when there is no range) and its range rows,
    in the caller's transaction; (rebuild id, range ids)."""
    run = await FeedRebuild.create(
        status=(RebuildStatus.RUNNING if ranges else RebuildStatus.DONE).value,
        window_start=window[0],
        window_end=window[1],
        ranges_total=len(ranges),
        detail=detail,
        started_at=now,
        finished_at=None if ranges else now,
    )
    await FeedRebuildRange.bulk_create(
        [FeedRebuildRange(rebuild_id=run.id, lo=lo, hi=hi) for lo, hi in ranges]
    )
    ids = (
        await FeedRebuildRange.filter(rebuild_id=run.id).order_by("lo").values_list("id", flat=True)
    )
    return run.id, _ints(ids)


async def open_range(range_id: int) -> RangeRow | None:
    """The range; None when it is done (or unknown)."""
    r = await FeedRebuildRange.get_or_none(id=range_id)
    if r is None or r.done_at is not None:
        return None
    run = await FeedRebuild.get(id=r.rebuild_id)
    return RangeRow(r.id, r.rebuild_id, r.lo, r.hi, run.window_start, run.window_end)


async def fail_stale(started_before: datetime, now: datetime) -> list[int]:
    """Mark FAILED the rebuilds still RUNNING that started before ``started_before`` (a
    range job that failed on every retry never completes the count); their ids."""
    rows = await FeedRebuild.filter(
        status=RebuildStatus.RUNNING.value, started_at__lt=started_before
    ).values_list("id", flat=True)
    for rebuild_id in _ints(rows):
        await mark_failed(rebuild_id, f"still RUNNING at {now.isoformat()}: a range failed", now)
    return _ints(rows)


async def lock_open_range(range_id: int) -> RangeRow | None:
    """The range, locked for this transaction; None when it is done (or unknown)."""
    r = await FeedRebuildRange.select_for_update().get_or_none(id=range_id)
    if r is None or r.done_at is not None:
        return None
    run = await FeedRebuild.get(id=r.rebuild_id)
    return RangeRow(r.id, r.rebuild_id, r.lo, r.hi, run.window_start, run.window_end)


async def finish_range(row: RangeRow, members: int, now: datetime) -> bool:
    """Mark the range done and count it on its rebuild in one conditional statement (no
    read-then-write: ranges finishing at once on several machines each add one); the
    range that completes the count marks the rebuild DONE. True for that one."""
    await FeedRebuildRange.filter(id=row.id).update(done_at=now, members=members)
    sql = (
        "UPDATE feed_rebuilds SET ranges_done = ranges_done + 1,"
        " members_done = members_done + {m},"
        " status = CASE WHEN ranges_done + 1 >= ranges_total THEN '{done}' ELSE status END,"
        " finished_at = CASE WHEN ranges_done + 1 >= ranges_total THEN {now} ELSE finished_at"
        " END WHERE id = {id} RETURNING status"
    )
    mark = "$1::timestamptz" if dialect() == "postgres" else "?"
    text = sql.format(
        m=int(members), done=RebuildStatus.DONE.value, now=mark, id=int(row.rebuild_id)
    )
    rows = await execute(text, [now])
    return bool(rows) and rows[0][0] == RebuildStatus.DONE.value


async def rebuild_row(rebuild_id: int) -> FeedRebuild:
    return await FeedRebuild.get(id=rebuild_id)


async def merge_detail(rebuild_id: int, part: dict[str, Any]) -> None:
    """Add ``part`` to the rebuild's detail (under the row lock)."""
    async with in_transaction():
        run = await FeedRebuild.select_for_update().get(id=rebuild_id)
        run.detail = {**(run.detail or {}), **part}
        await run.save(update_fields=["detail"])


async def mark_failed(rebuild_id: int, reason: str, now: datetime) -> None:
    await FeedRebuild.filter(id=rebuild_id, status=RebuildStatus.RUNNING.value).update(
        status=RebuildStatus.FAILED.value, finished_at=now
    )
    await merge_detail(rebuild_id, {"error": reason[:500]})


# --- member documents ---------------------------------------------------------------------

_UPSERT = """INSERT INTO feed_members (member_id, doc, version, rebuild_id, computed_at)
{source}
ON CONFLICT (member_id) DO UPDATE SET doc = excluded.doc,
  version = feed_members.version + 1, rebuild_id = excluded.rebuild_id,
  computed_at = excluded.computed_at
WHERE feed_members.computed_at <= excluded.computed_at"""


async def write_members(
    docs: Iterable[tuple[int, str]], rebuild_id: int | None, computed_at: datetime
) -> int:
    """Upsert members' documents (version + 1 on an existing row) in the caller's
    transaction; a row computed later than ``computed_at`` is kept. Returns rows sent."""
    pairs = list(docs)
    if not pairs:
        return 0
    if dialect() == "postgres":
        source = (
            "SELECT m, d, 1, $3::bigint, $4::timestamptz"
            " FROM unnest($1::bigint[], $2::text[]) AS t(m, d)"
        )
        await execute(
            _UPSERT.format(source=source),
            [[m for m, _ in pairs], [d for _, d in pairs], rebuild_id, computed_at],
        )
    else:
        await execute_many(
            _UPSERT.format(source="VALUES (?, ?, 1, ?, ?)"),
            [[m, d, rebuild_id, computed_at] for m, d in pairs],
        )
    return len(pairs)


async def members_of_rebuild(lo: int, hi: int, rebuild_id: int) -> set[int]:
    """Members lo <= id < hi whose document this rebuild wrote (a range run again)."""
    rows = await FeedMember.filter(
        member_id__gte=lo, member_id__lt=hi, rebuild_id=rebuild_id
    ).values_list("member_id", flat=True)
    return set(_ints(rows))


async def count_of_rebuild(lo: int, hi: int, rebuild_id: int) -> int:
    return await FeedMember.filter(
        member_id__gte=lo, member_id__lt=hi, rebuild_id=rebuild_id
    ).count()


async def clear_others(lo: int, hi: int, rebuild_id: int, since: datetime) -> int:
    """Empty the documents of members lo <= id < hi that this rebuild did not write and
    that were computed before ``since`` (the range's run started: no history left in
    the window, merged, erased) and still hold something; how many."""
    stale = (
        await FeedMember.filter(member_id__gte=lo, member_id__lt=hi, computed_at__lt=since)
        .filter(Q(rebuild_id__isnull=True) | ~Q(rebuild_id=rebuild_id))
        .exclude(doc=EMPTY_DOC)
        .values_list("member_id", flat=True)
    )
    gone = _ints(stale)
    await write_members(((m, EMPTY_DOC) for m in gone), rebuild_id, since)
    return len(gone)


async def lock_member(member_id: int, now: datetime) -> None:
    """The member's document row, created empty when absent, locked for this transaction
    (two refreshes of one member run one after the other)."""
    values = "$1, $2, 1, $3" if dialect() == "postgres" else "?, ?, 1, ?"
    await execute(
        "INSERT INTO feed_members (member_id, doc, version, computed_at) "  # noqa: S608
        f"VALUES ({values}) ON CONFLICT (member_id) DO NOTHING",
        [member_id, EMPTY_DOC, now],
    )
    await FeedMember.select_for_update().get(member_id=member_id)


async def save_member(member_id: int, doc: str, now: datetime) -> None:
    """The member's new document (version + 1), written by an order, not a rebuild."""
    await FeedMember.filter(member_id=member_id).update(
        doc=doc, version=F("version") + 1, rebuild_id=None, computed_at=now
    )


async def member_doc(member_id: int) -> tuple[str, int] | None:
    """(document, version) of the member; None without a row."""
    row = await FeedMember.get_or_none(member_id=member_id)
    return None if row is None else (row.doc, row.version)
