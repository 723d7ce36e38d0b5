"""Feed jobs: the nightly rebuild (phase 1 on the scheduler's trigger, then one job per
member range, shared by every worker machine) and the order-time refresh of a member."""

from __future__ import annotations

import logging

from domain.feeds import jobs
from workers.actors.base import cron, job
from workers.runtime import runtime

log = logging.getLogger("loyalty.feeds")
LONG = 2 * 3600 * 1000  # ms: phase 1 reads a year of order lines


@job(
    queue_name="feeds",
    schedule=cron("feeds-rebuild", hour=3, minute=0),  # after the tier batch (02:30)
    max_retries=2,
    min_backoff=60_000,
    max_backoff=600_000,
    time_limit=LONG,
)
async def feed_nightly_rebuild() -> None:
    rebuild_id = await jobs.nightly(runtime().settings, log.info)
    log.info("feeds rebuild %d: ranges announced", rebuild_id)


@job(
    queue_name="feeds",
    max_retries=5,
    min_backoff=10_000,
    max_backoff=600_000,
    time_limit=LONG,
)
async def feed_rebuild_range(
    range_id: int, event_id: int | None = None, rebuild_id: int | None = None
) -> None:
    await jobs.range_job(runtime().settings, range_id, log.info)


@job(queue_name="feeds", max_retries=5, min_backoff=1_000, max_backoff=60_000)
async def feed_refresh_member(member_id: int | None, event_id: int | None = None) -> None:
    if member_id is not None:  # orders without a member carry none
        await jobs.refresh_member(runtime().settings, member_id)
