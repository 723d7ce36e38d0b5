"""Periodic jobs (APScheduler). In the embedded default they run on the API loop;
in production ``loyalty scheduler`` runs them in one dedicated process."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from workers.relay import relay_once


async def _sweep_outbox() -> None:
    while await relay_once() > 0:
        pass


def build_scheduler() -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="Asia/Shanghai")
    scheduler.add_job(
        _sweep_outbox, "interval", seconds=2, id="outbox-sweep", max_instances=1, coalesce=True
    )
    return scheduler
