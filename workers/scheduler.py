"""Periodic jobs (APScheduler). In the embedded default they run on the API loop;
in production ``loyalty scheduler`` runs them in one dedicated process.

Each firing first takes a lock in the shared cache (``SET NX`` on Redis) named after
the job and its time slot, so a second scheduler started by mistake (or during a
deploy) never fires the same job twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from domain.cache import Cache
from workers.actors.coupons import (
    coupon_daily_triggers,
    coupon_year_end_rebate,
    expire_coupons,
    remind_expiring_coupons,
)
from workers.actors.members import birthday_events
from workers.actors.notifications import purge_message_bodies, release_deferred_messages
from workers.actors.points import expire_points, release_pending_points, remind_expiring_points
from workers.actors.tiers import tier_nightly_batch
from workers.relay import relay_once


async def _sweep_outbox() -> None:
    while await relay_once() > 0:
        pass


log = logging.getLogger("loyalty.scheduler")


def once_per_slot(
    cache: Cache, job_id: str, slot_s: int, fire: Callable[[], Any]
) -> Callable[[], Awaitable[bool]]:
    """A job body that runs only if this scheduler wins the slot's lock."""

    async def run() -> bool:
        slot = int(time.time() // slot_s)
        if not await cache.set(f"scheduler:{job_id}:{slot}", "1", ex=slot_s * 2, nx=True):
            log.info("job %s of slot %d already fired by another scheduler", job_id, slot)
            return False
        result = fire()
        if isinstance(result, Awaitable):
            await result
        return True

    return run


# job id -> (actor or coroutine, trigger, trigger arguments, lock slot in seconds)
JOBS: list[tuple[str, Callable[[], Any], str, dict[str, Any], int]] = [
    ("outbox-sweep", _sweep_outbox, "interval", {"seconds": 2}, 2),
    # points: release every 15 minutes; expiry just after midnight and reminders in the
    # morning, Asia/Shanghai (the jobs are idempotent, so a late or repeated run is safe)
    ("points-release", release_pending_points.send, "interval", {"minutes": 15}, 15 * 60),
    ("points-expire", expire_points.send, "cron", {"hour": 0, "minute": 5}, 3600),
    ("points-remind", remind_expiring_points.send, "cron", {"hour": 10}, 3600),
    ("tier-batch", tier_nightly_batch.send, "cron", {"hour": 2, "minute": 30}, 3600),
    ("birthdays", birthday_events.send, "cron", {"hour": 8}, 3600),  # Asia/Shanghai
    # coupons (Asia/Shanghai): expiry just after midnight, reminders and the first-order /
    # win-back scan in the morning, the year-end rebate on 1 January
    ("coupons-expire", expire_coupons.send, "cron", {"hour": 0, "minute": 10}, 3600),
    ("coupons-remind", remind_expiring_coupons.send, "cron", {"hour": 10, "minute": 30}, 3600),
    ("coupons-triggers", coupon_daily_triggers.send, "cron", {"hour": 9, "minute": 30}, 3600),
    (
        "coupons-rebate",
        coupon_year_end_rebate.send,
        "cron",
        {"month": 1, "day": 1, "hour": 3},
        3600,
    ),
    ("messages-deferred", release_deferred_messages.send, "interval", {"minutes": 1}, 60),
    # message text past its retention (MESSAGE_BODY_RETENTION_DAYS), nightly
    ("messages-purge", purge_message_bodies.send, "cron", {"hour": 4, "minute": 15}, 3600),
]


def build_scheduler(cache: Cache) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="Asia/Shanghai")
    for job_id, fire, trigger, args, slot in JOBS:
        scheduler.add_job(
            once_per_slot(cache, job_id, slot, fire),
            trigger,
            id=job_id,
            max_instances=1,
            coalesce=True,
            **args,
        )
    return scheduler
