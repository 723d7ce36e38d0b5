"""Coupon jobs: issue on events, daily scans, yearly rebate, expiry and reminders."""

from __future__ import annotations

import logging

from domain import clock
from domain.coupons import jobs
from domain.points import jobs as points_jobs
from workers.actors.base import cron, job
from workers.runtime import runtime

log = logging.getLogger("loyalty.coupons")
LONG = 30 * 60 * 1000  # ms


@job(queue_name="coupons", max_retries=5, min_backoff=1_000, max_backoff=60_000)
async def coupon_for_birthday(member_id: int, year: int, event_id: int | None = None) -> None:
    await jobs.on_birthday(member_id, year)


@job(queue_name="coupons", max_retries=5, min_backoff=1_000, max_backoff=60_000)
async def coupon_for_tier_upgrade(
    member_id: int,
    from_tier: str | None,
    to_tier: str,
    history_id: int,
    event_id: int | None = None,
) -> None:
    await jobs.on_tier_changed(member_id, from_tier, to_tier, history_id)


@job(queue_name="coupons", max_retries=5, min_backoff=1_000, max_backoff=60_000)
async def coupon_for_points_expiry(
    member_id: int, expires_on: str, event_id: int | None = None
) -> None:
    await jobs.on_points_expiring(member_id, expires_on)


@job(
    queue_name="coupons",
    schedule=cron("coupons-triggers", hour=9, minute=30),
    max_retries=3,
    min_backoff=10_000,
    time_limit=LONG,
)
async def coupon_daily_triggers() -> None:
    await jobs.first_order_and_win_back(runtime(), log.info)


@job(
    queue_name="coupons",
    # 8 January: the default 7-day return window of December's orders has passed, so their
    # points are due (the job releases due lots first) and count in the conversion
    schedule=cron("coupons-rebate", month=1, day=8, hour=3),
    max_retries=3,
    min_backoff=10_000,
    time_limit=LONG,
)
async def coupon_year_end_rebate() -> None:
    """The year's net points become rebate coupons (a points conversion)."""
    await points_jobs.year_end_rebate(runtime(), clock.business_date().year - 1, log.info)


@job(
    queue_name="coupons",
    schedule=cron("coupons-expire", hour=0, minute=10),  # just after midnight
    max_retries=3,
    min_backoff=10_000,
    time_limit=LONG,
)
async def expire_coupons() -> None:
    await jobs.expire_due(log.info)


@job(
    queue_name="coupons",
    schedule=cron("coupons-remind", hour=10, minute=30),
    max_retries=3,
    min_backoff=10_000,
    time_limit=LONG,
)
async def remind_expiring_coupons() -> None:
    await jobs.remind_expiring(runtime(), log.info)
