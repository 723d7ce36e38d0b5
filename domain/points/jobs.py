"""Scheduled points jobs: release pending points, expire lots, remind before expiry,
convert the year's points into rebate coupons.

Each works in batches of members, one transaction per member (the account lock), and
is idempotent: run twice, the second run finds nothing to do. Each returns what it
did, for logs and tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from domain import clock
from domain.config import Settings
from domain.coupons import jobs as coupon_jobs
from domain.db import IntegrityError, in_transaction
from domain.events import outbox
from domain.points import ledger, store
from domain.points.model import Kind, business_day, last_usable_day, year_bounds, year_rebate
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.points.tables import PointsAccount, PointsLot

TOPIC_EXPIRING = "points.expiring"
BATCH = 500


async def _per_member(
    members_due: Callable[[datetime, int], Awaitable[list[int]]],
    lots_due: Callable[[int, datetime], Awaitable[list[PointsLot]]],
    now: datetime,
    step: Callable[[PointsAccount, list[PointsLot]], Awaitable[int]],
    progress: Callable[[str], None],
    label: str,
) -> int:
    """Run ``step`` on the due lots of each member, one transaction (and account lock)
    per member, batch after batch until nothing is due. Returns the sum of the steps."""
    total = 0
    while True:
        members = sorted(set(await members_due(now, BATCH * 20)))
        if not members:
            return total
        for member_id in members:
            async with in_transaction():
                acct = await ledger.lock(member_id)
                lots = await lots_due(member_id, now)
                total += await step(acct, lots)
        progress(f"{label}: {len(members)} members")


async def release_due(progress: Callable[[str], None] = lambda _m: None) -> int:
    """Make pending lots whose return window has passed spendable. Returns points released."""
    now = clock.now()

    async def release(acct: PointsAccount, lots: list[PointsLot]) -> int:
        amount = sum(lot.remaining for lot in lots)
        for lot in sorted(lots, key=lambda x: x.id):
            await ledger.release(acct, lot)
        return amount

    members, lots = store.members_with_lots_to_release, store.lots_to_release
    return await _per_member(members, lots, now, release, progress, "released")


async def expire_due(progress: Callable[[str], None] = lambda _m: None) -> int:
    """Expire what is left of lots past their expiry. Returns points expired."""
    now = clock.now()

    async def expire(acct: PointsAccount, lots: list[PointsLot]) -> int:
        return sum([await ledger.expire_lot(acct, lot) for lot in lots])

    members, lots = store.members_with_lots_to_expire, store.lots_to_expire
    return await _per_member(members, lots, now, expire, progress, "expired")


async def remind_expiring(days: int) -> int:
    """One ``points.expiring`` event per member and expiry date within ``days``.
    ``expires_on`` is the business day of the expiry instant (the idempotency key, and the
    coupon's occasion); ``last_day`` is what the member is told: the last day the points
    can be used (2027-12-31 for points gone at 00:00 on 2028-01-01, Asia/Shanghai).
    Returns how many reminders were recorded now."""
    now = clock.now()
    rows = await store.lots_expiring(now, now + timedelta(days=days))
    sums: dict[tuple[int, date], int] = {}
    first: dict[tuple[int, date], datetime] = {}
    for r in rows:
        key = (r["member_id"], business_day(r["expires_at"]))
        sums[key] = sums.get(key, 0) + r["remaining"]
        first[key] = min(first.get(key, r["expires_at"]), r["expires_at"])
    sent = 0
    for (member_id, day), points in sorted(sums.items()):
        try:
            async with in_transaction():
                await store.add_expiry_reminder(member_id, day, points, now)
                await outbox.record(
                    TOPIC_EXPIRING,
                    {
                        "member_id": member_id,
                        "expires_on": day.isoformat(),
                        "last_day": last_usable_day(first[(member_id, day)]).isoformat(),
                        "points": points,
                    },
                )
            sent += 1
        except IntegrityError:
            continue  # already reminded of this date
    return sent


# --- year-end rebate ---------------------------------------------------------------------------


class _NoCoupon(Exception):
    """The coupon could not be issued: the conversion rolls back, the member keeps the points."""


async def year_end_rebate(
    rt: Runtime, year: int, progress: Callable[[str], None] = lambda _m: None
) -> int:
    """Once a year: each member's net points of business year ``year`` (earned less what
    refunds reversed, counted by entry date) become a rebate coupon at
    COUPON_REBATE_FEN_PER_100_POINTS, and those points leave the balance with a REBATE
    entry, oldest-expiring lots first, as a spend. No more than the member can spend then
    is converted (points still pending, inside the return window, are not), and none when
    the coupon would be worth less than COUPON_REBATE_MIN_FEN. Exactly once per member and
    year (``points_rebates``): a rerun converts nothing more. Returns members converted."""
    if not await coupon_jobs.has_rebate_template():
        progress(f"rebate {year}: no active YEAR_END_REBATE template, nothing converted")
        return 0
    start, end = year_bounds(year)
    earners = await store.earners(start, end)
    members = sorted({int(r["member_id"]) for r in earners})
    converted = 0
    for n, member_id in enumerate(members, 1):
        try:
            converted += await _rebate(rt.settings, member_id, year)
        except _NoCoupon:
            pass  # rolled back: the member keeps the points
        if n % 1000 == 0:
            progress(f"rebate {year}: {n}/{len(members)} members, {converted} converted")
    progress(f"rebate {year}: {converted} of {len(members)} members converted")
    return converted


async def _rebate(s: Settings, member_id: int, year: int) -> int:
    """Convert one member's year under the account lock; 1 when converted now."""
    start, end = year_bounds(year)
    async with in_transaction():
        acct = await ledger.lock(member_id)
        if await store.rebated(member_id, year):
            return 0
        # the release job may not have run yet
        for lot in await store.lots_to_release(member_id, clock.now()):
            await ledger.release(acct, lot)
        net_points = await store.net_points_of_year(member_id, start, end)
        rebate = year_rebate(
            net_points,
            acct.balance,
            s.coupon_rebate_fen_per_100_points,
            s.coupon_rebate_min_fen,
        )
        if rebate is None:
            return 0
        entry = await ledger.debit(
            acct,
            Kind.REBATE,
            rebate.points,
            f"{year} 年度积分返利：{rebate.points} 积分兑换 ¥{rebate.value_fen / 100:.2f} 返利券",
            breakdown={"year": year, "netPoints": net_points, "valueFen": rebate.value_fen},
        )
        code = await coupon_jobs.rebate_coupon(member_id, year, rebate.value_fen)
        if code is None:
            raise _NoCoupon
        await store.add_rebate(
            member_id=member_id,
            year=year,
            points=rebate.points,
            value_fen=rebate.value_fen,
            entry_id=entry.id,
            coupon_code=code,
            created_at=clock.now(),
        )
    return 1
