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
The statements themselves live in ``domain.tiers.store``; this module runs the chunks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain import clock
from domain.config import Settings
from domain.db import in_transaction
from domain.events import outbox
from domain.tiers import store
from domain.tiers.model import TOPIC_REVIEW_REMINDER as TOPIC_REVIEW_REMINDER  # re-export
from domain.tiers.model import ChangeReason, ReviewReminder, TierChanged
from domain.tiers.services import WINDOW

if TYPE_CHECKING:
    from domain.tiers.tables import TierBatchRun

log = logging.getLogger("loyalty.tiers")


async def _write_events(
    params: dict[str, Any], base_rank: int, changes: bool, announce: bool
) -> None:
    """History rows for the chunk's changes, then one outbox event per change and per
    reminder, built by the model's constructors (``announce=False``: history only).
    Runs in the chunk's transaction (the store's plain SQL takes its connection)."""
    history = await store.add_target_history(params) if changes else {}
    if not announce:
        return
    next_review = params["next_review"]
    events: list[TierChanged | ReviewReminder] = []
    for r in await store.target_changes():
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
    counts = await store.make_targets(conn, dialect, settings.tier_measure, params)
    if counts.keys() & {"UP", "DOWN", "REMIND"}:
        await _write_events(params, base_rank, bool(counts.keys() & {"UP", "DOWN"}), announce)
    await store.apply_targets(conn, dialect, params, set(counts))
    return counts.get("UP", 0) + counts.get("DOWN", 0)


async def run_nightly(
    settings: Settings, *, chunk: int | None = None, progress: Callable[[str], None] = log.info
) -> TierBatchRun:
    """Run (or resume) today's batch. Returns the run row (``changed``: tiers moved)."""
    rungs = await store.all_tiers()
    now = clock.now()
    run_on = clock.business_date(now)
    state = await store.batch_run(run_on, now)
    if state.finished_at is not None or not rungs:
        return state
    size = chunk or settings.tier_batch_chunk
    dialect, last_id = await store.members_span()
    lo = state.last_member_id
    if lo:
        progress(f"resuming the tier batch of {run_on} after member {lo}")
    while lo < last_id:
        hi = min(lo + size, last_id)
        async with in_transaction() as tx:
            n = await _run_chunk(tx, dialect, settings, lo, hi, now, rungs[0].rank)
            state.changed += n
            await store.checkpoint(state.id, hi, state.changed)
        progress(f"tier batch {run_on}: members up to {hi} of {last_id}, {state.changed} changed")
        lo = hi
    state.finished_at = clock.now()
    state.last_member_id = lo
    await store.finish_run(state)
    return state


async def place_all(
    settings: Settings, *, detail: str, announce: bool = False, chunk: int | None = None
) -> int:
    """Put every active member on the tier their measure reaches now, by the nightly
    rules (a data load, e.g. the demo chain). No run row: tonight's batch still runs.
    ``announce=False`` writes history without events (a load is no news to members).
    Returns how many members changed tier."""
    rungs = await store.all_tiers()
    if not rungs:
        return 0
    now = clock.now()
    size = chunk or settings.tier_batch_chunk
    dialect, last_id = await store.members_span()
    lo, changed = 0, 0
    while lo < last_id:
        hi = min(lo + size, last_id)
        async with in_transaction() as tx:
            changed += await _run_chunk(
                tx,
                dialect,
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
