"""Scheduled points jobs (each idempotent: a second run finds nothing to do)."""

from __future__ import annotations

import logging

from domain.points import jobs
from workers.actors.base import cron, every, job
from workers.runtime import runtime

log = logging.getLogger("loyalty.points")
LONG = 30 * 60 * 1000  # ms: a big backlog may take a while


@job(
    queue_name="points",
    schedule=every("points-release", minutes=15),
    max_retries=3,
    min_backoff=10_000,
    time_limit=LONG,
)
async def release_pending_points() -> None:
    log.info("released %d pending points", await jobs.release_due(log.info))


@job(
    queue_name="points",
    schedule=cron("points-expire", hour=0, minute=5),  # just after midnight
    max_retries=3,
    min_backoff=10_000,
    time_limit=LONG,
)
async def expire_points() -> None:
    log.info("expired %d points", await jobs.expire_due(log.info))


@job(
    queue_name="points",
    schedule=cron("points-remind", hour=10),
    max_retries=3,
    min_backoff=10_000,
    time_limit=LONG,
)
async def remind_expiring_points() -> None:
    days = runtime().settings.points_expiring_notice_days
    log.info("recorded %d expiry reminders", await jobs.remind_expiring(days))
