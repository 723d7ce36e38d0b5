"""The nightly tier batch: every active member, in set-based SQL, chunk by chunk.

Per chunk of member ids, one transaction: the qualifying measure and target rung of
every member go into a temporary table with the action the rules give
(UP at once; DOWN only after the review date plus the grace period; RENEW a review
passed; REMIND before a review that would fail; PLACE a member with no tier yet);
then a handful of statements apply them, write history and one outbox event per
change (built by the model's constructors, as the per-order path builds it), and
move the run's checkpoint (a statement whose action no member of the chunk
has is skipped). Members on the base rung have nothing to review, so the batch gives
tier states (review dates) only to those above it. A crash loses at most the open
chunk, and the next start resumes after the checkpoint; running again changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from domain import clock, sql
from domain.config import Settings
from domain.db import in_transaction
from domain.events import outbox
from domain.sql import bind, connection
from domain.tiers.model import TOPIC_REVIEW_REMINDER as TOPIC_REVIEW_REMINDER  # re-export
from domain.tiers.model import ChangeReason, ReviewReminder, TierChanged
from domain.tiers.services import WINDOW
from domain.tiers.tables import Tier, TierBatchRun

log = logging.getLogger("loyalty.tiers")

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
# events are written before these, by ``_write_events``.
STEPS = [
    (APPLY[0], {"UP", "DOWN", "PLACE"}),
    (APPLY[1], None),  # every member above the base rung with no state yet, any action
    (APPLY[2], {"UP", "DOWN"}),
    (APPLY[3], {"RENEW"}),
    (APPLY[4], {"REMIND"}),
]


async def _write_events(
    params: dict[str, Any], base_rank: int, changes: bool, announce: bool
) -> None:
    """History rows for the chunk's changes, then one outbox event per change and per
    reminder, built by the model's constructors (``announce=False``: history only).
    Runs in the chunk's transaction (``sql.select`` takes its connection)."""
    history = (
        {int(r["member_id"]): int(r["id"]) for r in await sql.select(HISTORY, params)}
        if changes
        else {}
    )
    if not announce:
        return
    next_review = params["next_review"]
    events: list[TierChanged | ReviewReminder] = []
    for r in await sql.select(CHANGES, times=("review_at",)):
        if r["action"] == "REMIND":
            events.append(ReviewReminder(r["member_id"], r["to_code"], r["review_at"]))
            continue
        events.append(
            TierChanged(
                member_id=r["member_id"],
                history_id=history[r["member_id"]],
                from_code=r["from_code"],
                to_code=r["to_code"],
                reason=ChangeReason.UPGRADE if r["action"] == "UP" else ChangeReason.DOWNGRADE,
                review_at=None if r["target_rank"] == base_rank else next_review,
            )
        )
    await outbox.record_many([(e.topic, e.payload()) for e in events])


async def _run_chunk(
    conn: Any,
    dialect: str,
    settings: Settings,
    lo: int,
    hi: int,
    now: datetime,
    base_rank: int,
    *,
    detail: str = "nightly review",
    announce: bool = True,
) -> int:
    threshold = "threshold_points" if settings.tier_measure == "points" else "threshold_fen"
    params = {
        "now": now,
        "since": now - WINDOW,
        "lo": lo,
        "hi": hi,
        "base_rank": base_rank,
        "downgrade_before": now - timedelta(days=settings.tier_grace_days),
        "remind_before": now + timedelta(days=settings.tier_reminder_days),
        "next_review": now + timedelta(days=settings.tier_review_days),
        "detail": detail,
        "upgrade": ChangeReason.UPGRADE.value,
        "downgrade": ChangeReason.DOWNGRADE.value,
    }

    async def run(statement: str) -> None:
        text, args = bind(statement, params, dialect)
        await conn.execute_query(text, args)

    await run("DROP TABLE IF EXISTS tier_targets")
    await run(TARGETS.format(threshold=threshold, measure=MEASURE[settings.tier_measure]))
    await run("CREATE INDEX tier_targets_member ON tier_targets (member_id)")
    await run("ANALYZE tier_targets")  # temporary tables have no statistics until asked
    counts = {
        r["action"]: int(r["n"])
        for r in await conn.execute_query_dict(
            "SELECT action, COUNT(*) AS n FROM tier_targets "
            "WHERE action IS NOT NULL GROUP BY action"
        )
    }
    if counts.keys() & {"UP", "DOWN", "REMIND"}:
        await _write_events(params, base_rank, bool(counts.keys() & {"UP", "DOWN"}), announce)
    for statement, actions in STEPS:  # a step with nothing to do costs no scan
        if actions is None or counts.keys() & actions:
            await run(statement)
    await run("DROP TABLE tier_targets")
    return counts.get("UP", 0) + counts.get("DOWN", 0)


async def run_nightly(
    settings: Settings, *, chunk: int | None = None, progress: Callable[[str], None] = log.info
) -> TierBatchRun:
    """Run (or resume) today's batch. Returns the run row (``changed``: tiers moved)."""
    rungs = await Tier.all().order_by("rank")
    now = clock.now()
    run_on = clock.business_date(now)
    state, _ = await TierBatchRun.get_or_create(run_on=run_on, defaults={"started_at": now})
    if state.finished_at is not None or not rungs:
        return state
    size = chunk or settings.tier_batch_chunk
    conn = connection()
    dialect = conn.capabilities.dialect
    top = await conn.execute_query_dict("SELECT COALESCE(MAX(id), 0) AS n FROM members")
    last_id = int(top[0]["n"])
    lo = state.last_member_id
    if lo:
        progress(f"resuming the tier batch of {run_on} after member {lo}")
    while lo < last_id:
        hi = min(lo + size, last_id)
        async with in_transaction() as tx:
            n = await _run_chunk(tx, dialect, settings, lo, hi, now, rungs[0].rank)
            state.changed += n
            await TierBatchRun.filter(id=state.id).update(last_member_id=hi, changed=state.changed)
        progress(f"tier batch {run_on}: members up to {hi} of {last_id}, {state.changed} changed")
        lo = hi
    state.finished_at = clock.now()
    state.last_member_id = lo
    await state.save(update_fields=["finished_at", "last_member_id"])
    return state


async def place_all(
    settings: Settings, *, detail: str, announce: bool = False, chunk: int | None = None
) -> int:
    """Put every active member on the tier their measure reaches now, by the nightly
    rules (a data load, e.g. the demo chain). No run row: tonight's batch still runs.
    ``announce=False`` writes history without events (a load is no news to members).
    Returns how many members changed tier."""
    rungs = await Tier.all().order_by("rank")
    if not rungs:
        return 0
    now = clock.now()
    size = chunk or settings.tier_batch_chunk
    conn = connection()
    top = await conn.execute_query_dict("SELECT COALESCE(MAX(id), 0) AS n FROM members")
    last_id, lo, changed = int(top[0]["n"]), 0, 0
    while lo < last_id:
        hi = min(lo + size, last_id)
        async with in_transaction() as tx:
            changed += await _run_chunk(
                tx,
                conn.capabilities.dialect,
                settings,
                lo,
                hi,
                now,
                rungs[0].rank,
                detail=detail,
                announce=announce,
            )
        lo = hi
    return changed
