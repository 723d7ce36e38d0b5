"""Tier jobs: recompute one member after an event; the nightly batch over everyone."""

from __future__ import annotations

import logging

from domain.tiers import batch, services
from workers.actors.base import cron, job
from workers.runtime import runtime

log = logging.getLogger("loyalty.tiers")


@job(queue_name="tiers", max_retries=5, min_backoff=1_000, max_backoff=60_000)
async def recompute_tier(member_id: int | None, event_id: int | None = None) -> None:
    if member_id is not None:  # orders without a member carry none
        await services.recompute(runtime().settings, member_id)


@job(
    queue_name="tiers",
    schedule=cron("tier-batch", hour=2, minute=30),
    max_retries=3,
    min_backoff=30_000,
    time_limit=6 * 3600 * 1000,
)
async def tier_nightly_batch() -> None:
    run = await batch.run_nightly(runtime().settings)
    log.info("tier batch %s: %d members changed tier", run.run_on, run.changed)


@job(queue_name="notifications", max_retries=5, min_backoff=1_000, max_backoff=60_000)
async def notify_tier_event(
    member_id: int,
    to: str,
    reason: str,
    event_id: int,
    review_at: str | None = None,
) -> None:
    from domain.tiers.notify import tier_event

    await tier_event(
        runtime(),
        member_id=member_id,
        to=to,
        reason=reason,
        event_id=event_id,
        review_at=review_at,
    )
