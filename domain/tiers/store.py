"""Every read and write of the tier tables: the ladder (also for other areas, which never
import domain.tiers.tables), member states and history, and the nightly batch's
set-based statements and checkpoints."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, cast

from domain import sql
from domain.tiers.tables import Tier, TierBatchRun, TierHistory, TierState


async def get_or_none(tier_id: int | None) -> Tier | None:
    return await Tier.get_or_none(id=tier_id) if tier_id else None


async def by_code(code: str) -> Tier | None:
    return await Tier.get_or_none(code=code)


async def all_tiers() -> list[Tier]:
    """Every rung, lowest first."""
    return await Tier.all().order_by("rank")


async def tiers_except(code: str) -> list[Tier]:
    """Every rung but ``code`` (the others an upsert is checked against)."""
    return await Tier.exclude(code=code)


async def upsert_tier(code: str, values: dict[str, Any]) -> Tier:
    """Create the rung ``code`` or change it to ``values``."""
    row, _ = await Tier.update_or_create(code=code, defaults=values)
    return row


async def codes(tier_id: int | None) -> list[str]:
    """The code of ``tier_id`` as a list ([] when unplaced or unknown)."""
    return cast(list[str], await Tier.filter(id=tier_id).values_list("code", flat=True))


async def ranks_by_code() -> dict[str, int]:
    return dict(await Tier.all().values_list("code", "rank"))


async def ranks_by_id(ids: list[int]) -> dict[int, int]:
    return {t.id: t.rank for t in await Tier.filter(id__in=ids)}


# Member home reads the ladder, the measure and the review date on every app open:
# plain SQL, no model building.
TIERS = """SELECT id, code, name, rank, threshold_fen, threshold_points, points_multiplier_pct,
  benefits FROM tiers ORDER BY rank"""
MEASURE_SQL = {
    "spend": "SELECT COALESCE(SUM(total_paid_fen - refunded_fen), 0) AS m FROM orders "
    "WHERE member_id = :member AND paid_at > :since",
    "points": "SELECT COALESCE(SUM(points), 0) AS m FROM ledger_entries "
    "WHERE member_id = :member AND kind = 'EARN' AND created_at > :since",
}


async def tier_rows() -> list[dict]:
    """Every tier in rank order, as dict rows."""
    rows = await sql.select(TIERS)
    for r in rows:  # JSON comes back as text from both drivers
        if isinstance(r["benefits"], str):
            r["benefits"] = json.loads(r["benefits"])
    return rows


async def measure(kind: str, member_id: int, since: datetime) -> int:
    """Qualifying spend (fen, net of refunds) or points earned since ``since``."""
    rows = await sql.select(MEASURE_SQL[kind], {"member": member_id, "since": since})
    return int(rows[0]["m"])


HOLDER = """SELECT t.code, m.status FROM members m LEFT JOIN tiers t ON t.id = m.tier_id
  WHERE m.id = :member"""


async def code_and_status_of_member(member_id: int) -> tuple[str, str] | None:
    """The member's tier code ("" when not placed) and status, in one query (the till's
    path); None for no such member."""
    rows = await sql.select(HOLDER, {"member": member_id})
    return (str(rows[0]["code"] or ""), str(rows[0]["status"])) if rows else None


# --- batch reads for many members at once (a staff list's tiers in a few statements) -----

REVIEW_AT_OF = "SELECT member_id, review_at FROM tier_states WHERE member_id IN (:members)"
MEASURES_OF = {
    "spend": "SELECT member_id, COALESCE(SUM(total_paid_fen - refunded_fen), 0) AS m "
    "FROM orders WHERE member_id IN (:members) AND paid_at > :since GROUP BY member_id",
    "points": "SELECT member_id, COALESCE(SUM(points), 0) AS m FROM ledger_entries "
    "WHERE member_id IN (:members) AND kind = 'EARN' AND created_at > :since "
    "GROUP BY member_id",
}
# The newest ``:limit`` changes of each member (a window per member, one statement).
HISTORY_OF = """SELECT member_id, reason, measure, detail, created_at, from_code, to_code
  FROM (SELECT h.member_id, h.reason, h.measure, h.detail, h.created_at,
               f.code AS from_code, t.code AS to_code,
               ROW_NUMBER() OVER (PARTITION BY h.member_id ORDER BY h.id DESC) AS n
          FROM tier_history h
          LEFT JOIN tiers f ON f.id = h.from_tier_id
          LEFT JOIN tiers t ON t.id = h.to_tier_id
         WHERE h.member_id IN (:members)) newest
 WHERE n <= :limit ORDER BY member_id, n"""


async def review_at_of(member_ids: list[int]) -> dict[int, datetime]:
    """The next review of each member that has a tier state."""
    rows = await sql.select(REVIEW_AT_OF, {"members": member_ids}, times=("review_at",))
    return {r["member_id"]: r["review_at"] for r in rows}


async def measures_of(measure: str, member_ids: list[int], since: datetime) -> dict[int, int]:
    """Qualifying spend (fen, net of refunds) or points earned since ``since``; members
    with none are absent."""
    rows = await sql.select(MEASURES_OF[measure], {"members": member_ids, "since": since})
    return {r["member_id"]: int(r["m"]) for r in rows}


async def history_of(member_ids: list[int], limit: int) -> dict[int, list[dict]]:
    """Each member's newest ``limit`` tier changes, newest first."""
    rows = await sql.select(
        HISTORY_OF, {"members": member_ids, "limit": limit}, times=("created_at",)
    )
    out: dict[int, list[dict]] = {m: [] for m in member_ids}
    for r in rows:
        out[r.pop("member_id")].append(r)
    return out


# --- a member's state and history (in the caller's transaction) ---------------------------


async def state_of(member_id: int) -> TierState | None:
    return await TierState.get_or_none(member_id=member_id)


async def add_state(member_id: int, since: datetime, review_at: datetime) -> None:
    await TierState.create(member_id=member_id, since=since, review_at=review_at)


async def start_state(member_id: int, since: datetime, review_at: datetime) -> None:
    """The member is on a new tier from ``since``, reviewed at ``review_at`` (creates the
    state row when there is none)."""
    state = await TierState.get_or_none(member_id=member_id)
    if state is None:
        await TierState.create(member_id=member_id, since=since, review_at=review_at)
    else:
        await TierState.filter(member_id=member_id).update(since=since, review_at=review_at)


async def set_override_until(member_id: int, until: datetime) -> None:
    await TierState.filter(member_id=member_id).update(override_until=until)


async def add_history(
    *,
    member_id: int,
    from_tier_id: int | None,
    to_tier_id: int,
    reason: str,
    measure: int,
    detail: str,
    created_at: datetime,
) -> TierHistory:
    return await TierHistory.create(
        member_id=member_id,
        from_tier_id=from_tier_id,
        to_tier_id=to_tier_id,
        reason=reason,
        measure=measure,
        detail=detail,
        created_at=created_at,
    )


# --- the nightly batch: set-based statements over a chunk of member ids -------------------
# (run by domain.tiers.batch, one chunk per transaction, on that transaction's connection)

# The chunk's range is repeated on the orders / entries side: without it the planner
# hash-joined every order of every member for each chunk (1,000,000 members: 135 of the
# 220 ms a chunk's targets took; 50 chunks read the whole table 50 times).
MEASURE = {
    "spend": """SELECT m2.id AS id, COALESCE(SUM(o.total_paid_fen - o.refunded_fen), 0) AS measure
        FROM members m2 LEFT JOIN orders o ON o.member_id = m2.id AND o.paid_at > :since
          AND o.member_id > :lo AND o.member_id <= :hi
        WHERE m2.id > :lo AND m2.id <= :hi GROUP BY m2.id""",
    "points": """SELECT m2.id AS id, COALESCE(SUM(e.points), 0) AS measure
        FROM members m2 LEFT JOIN ledger_entries e
          ON e.member_id = m2.id AND e.kind = 'EARN' AND e.created_at > :since
          AND e.member_id > :lo AND e.member_id <= :hi
        WHERE m2.id > :lo AND m2.id <= :hi GROUP BY m2.id""",
}

TARGETS = """CREATE TEMP TABLE tier_targets AS
SELECT x.*, tt.rank AS target_rank,
  CASE
    WHEN x.override_until IS NOT NULL AND x.override_until > :now THEN NULL
    WHEN x.current_id IS NULL AND tt.rank = :base_rank THEN 'PLACE'
    WHEN tt.rank > x.current_rank THEN 'UP'
    WHEN x.no_state = 1 AND tt.rank > :base_rank THEN 'PLACE'
    WHEN tt.rank < x.current_rank AND x.review_at <= :downgrade_before THEN 'DOWN'
    WHEN tt.rank >= x.current_rank AND x.review_at <= :now THEN 'RENEW'
    WHEN tt.rank < x.current_rank AND x.review_at > :now AND x.review_at <= :remind_before
         AND (x.reminded_for IS NULL OR x.reminded_for <> x.review_at) THEN 'REMIND'
  END AS action
FROM (
  SELECT m.id AS member_id, m.tier_id AS current_id, COALESCE(ct.rank, -1) AS current_rank,
         q.measure AS measure,
         (SELECT t.id FROM tiers t WHERE t.{threshold} <= q.measure
          ORDER BY t.rank DESC LIMIT 1) AS target_id,
         s.review_at AS review_at, s.override_until AS override_until,
         s.reminded_for AS reminded_for,
         CASE WHEN s.member_id IS NULL THEN 1 ELSE 0 END AS no_state
  FROM members m
  JOIN ({measure}) q ON q.id = m.id
  LEFT JOIN tiers ct ON ct.id = m.tier_id
  LEFT JOIN tier_states s ON s.member_id = m.id
  WHERE m.status = 'ACTIVE'
) x JOIN tiers tt ON tt.id = x.target_id"""

HISTORY = """INSERT INTO tier_history (member_id, from_tier_id, to_tier_id, reason, measure,
  detail, created_at)
SELECT member_id, current_id, target_id,
       CASE action WHEN 'UP' THEN :upgrade ELSE :downgrade END, measure, :detail, :now
FROM tier_targets WHERE action IN ('UP', 'DOWN')
RETURNING id, member_id"""

# what the events of the chunk are built from (in Python, by the model's constructors:
# the same payload as the per-order path writes)
CHANGES = """SELECT x.member_id AS member_id, x.action AS action, f.code AS from_code,
  t.code AS to_code, x.target_rank AS target_rank, x.review_at AS review_at
FROM tier_targets x LEFT JOIN tiers f ON f.id = x.current_id JOIN tiers t ON t.id = x.target_id
WHERE x.action IN ('UP', 'DOWN', 'REMIND')"""

APPLY = [
    """UPDATE members SET tier_id = x.target_id FROM tier_targets x
       WHERE x.member_id = members.id AND x.action IN ('UP', 'DOWN', 'PLACE')""",
    # the base rung has nothing to review: its members get no tier state here
    """INSERT INTO tier_states (member_id, since, review_at)
       SELECT member_id, :now, :next_review FROM tier_targets
       WHERE no_state = 1 AND target_rank > :base_rank""",
    """UPDATE tier_states SET since = :now, review_at = :next_review
       WHERE member_id IN (SELECT member_id FROM tier_targets
                           WHERE action IN ('UP', 'DOWN') AND no_state = 0)""",
    """UPDATE tier_states SET review_at = :next_review
       WHERE member_id IN (SELECT member_id FROM tier_targets WHERE action = 'RENEW')""",
    """UPDATE tier_states SET reminded_for = review_at
       WHERE member_id IN (SELECT member_id FROM tier_targets WHERE action = 'REMIND')""",
]

# Each statement with the actions it applies to (None: always run); the history and the
# events are written before these (``domain.tiers.batch._write_events``).
STEPS = [
    (APPLY[0], {"UP", "DOWN", "PLACE"}),
    (APPLY[1], None),  # every member above the base rung with no state yet, any action
    (APPLY[2], {"UP", "DOWN"}),
    (APPLY[3], {"RENEW"}),
    (APPLY[4], {"REMIND"}),
]


async def batch_run(run_on: date, now: datetime) -> TierBatchRun:
    """The run row of the business date ``run_on`` (created, started ``now``, if new)."""
    state, _ = await TierBatchRun.get_or_create(run_on=run_on, defaults={"started_at": now})
    return state


async def checkpoint(run_id: int, last_member_id: int, changed: int) -> None:
    """The run is done up to ``last_member_id`` (in the chunk's transaction)."""
    await TierBatchRun.filter(id=run_id).update(last_member_id=last_member_id, changed=changed)


async def finish_run(run: TierBatchRun) -> None:
    """Save the run's ``finished_at`` and ``last_member_id``."""
    await run.save(update_fields=["finished_at", "last_member_id"])


async def members_span() -> tuple[str, int]:
    """The connection's dialect and the highest member id (0: no members)."""
    conn = sql.connection()
    top = await conn.execute_query_dict("SELECT COALESCE(MAX(id), 0) AS n FROM members")
    return conn.capabilities.dialect, int(top[0]["n"])


def _runner(conn: Any, dialect: str, params: dict[str, Any]) -> Any:
    """Run one statement of the chunk on ``conn`` with the chunk's ``params``."""

    async def run(statement: str) -> None:
        text, args = sql.bind(statement, params, dialect)
        await conn.execute_query(text, args)

    return run


async def make_targets(
    conn: Any, dialect: str, measure: str, params: dict[str, Any]
) -> dict[str, int]:
    """The chunk's temporary ``tier_targets`` (each member's measure, target rung and the
    action the rules give; ``measure``: TIER_MEASURE); how many members per action."""
    threshold = "threshold_points" if measure == "points" else "threshold_fen"
    run = _runner(conn, dialect, params)
    await run("DROP TABLE IF EXISTS tier_targets")
    await run(TARGETS.format(threshold=threshold, measure=MEASURE[measure]))
    await run("CREATE INDEX tier_targets_member ON tier_targets (member_id)")
    await run("ANALYZE tier_targets")  # temporary tables have no statistics until asked
    return {
        r["action"]: int(r["n"])
        for r in await conn.execute_query_dict(
            "SELECT action, COUNT(*) AS n FROM tier_targets "
            "WHERE action IS NOT NULL GROUP BY action"
        )
    }


async def add_target_history(params: dict[str, Any]) -> dict[int, int]:
    """History rows for the chunk's UP and DOWN; the new row's id by member."""
    return {int(r["member_id"]): int(r["id"]) for r in await sql.select(HISTORY, params)}


async def target_changes() -> list[dict[str, Any]]:
    """The chunk's changes and reminders, with the codes the events name."""
    return await sql.select(CHANGES, times=("review_at",))


async def apply_targets(conn: Any, dialect: str, params: dict[str, Any], actions: set[str]) -> None:
    """Apply the chunk's ``actions`` (members, states), then drop ``tier_targets``."""
    run = _runner(conn, dialect, params)
    for statement, acts in STEPS:  # a step with nothing to do costs no scan
        if acts is None or actions & acts:
            await run(statement)
    await run("DROP TABLE tier_targets")
