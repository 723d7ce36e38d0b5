"""Periodic jobs (APScheduler). In the embedded default they run on the API loop;
in production ``loyalty scheduler`` runs them in one dedicated process."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from workers.actors.points import expire_points, release_pending_points, remind_expiring_points
from workers.actors.tiers import tier_nightly_batch
from workers.relay import relay_once


async def _sweep_outbox() -> None:
    while await relay_once() > 0:
        pass


def build_scheduler() -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="Asia/Shanghai")
    scheduler.add_job(
        _sweep_outbox, "interval", seconds=2, id="outbox-sweep", max_instances=1, coalesce=True
    )
    # points: release every 15 minutes; expiry just after midnight and reminders in the
    # morning, Asia/Shanghai (the jobs are idempotent, so a late or repeated run is safe)
    scheduler.add_job(release_pending_points.send, "interval", minutes=15, id="points-release")
    scheduler.add_job(expire_points.send, "cron", hour=0, minute=5, id="points-expire")
    scheduler.add_job(remind_expiring_points.send, "cron", hour=10, id="points-remind")
    scheduler.add_job(tier_nightly_batch.send, "cron", hour=2, minute=30, id="tier-batch")
    return scheduler
