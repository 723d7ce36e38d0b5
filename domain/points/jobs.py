"""Scheduled points jobs: release pending points, expire lots, remind before expiry.

Each works in batches of members, one transaction per member (the account lock), and
is idempotent: run twice, the second run finds nothing to do. Each returns what it
did, for logs and tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import cast

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import clock
from domain.events import outbox
from domain.points import ledger
from domain.points.model import business_day
from domain.points.tables import ExpiryReminder, PointsAccount, PointsLot

TOPIC_EXPIRING = "points.expiring"
BATCH = 500


async def _per_member(
    due: Callable[[], QuerySet[PointsLot]],
    step: Callable[[PointsAccount, list[PointsLot]], Awaitable[int]],
    progress: Callable[[str], None],
    label: str,
) -> int:
    """Run ``step`` on the due lots of each member, one transaction (and account lock)
    per member, batch after batch until nothing is due. Returns the sum of the steps."""
    total = 0
    while True:
        ids = await due().limit(BATCH * 20).values_list("member_id", flat=True)
        members = sorted(set(cast(list[int], ids)))
        if not members:
            return total
        for member_id in members:
            async with in_transaction():
                acct = await ledger.lock(member_id)
                lots = await due().filter(member_id=member_id).order_by("expires_at", "id")
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

    def due() -> QuerySet[PointsLot]:
        return PointsLot.filter(released_at=None, available_at__lte=now)

    return await _per_member(due, release, progress, "released")


async def expire_due(progress: Callable[[str], None] = lambda _m: None) -> int:
    """Expire what is left of lots past their expiry. Returns points expired."""
    now = clock.now()

    async def expire(acct: PointsAccount, lots: list[PointsLot]) -> int:
        return sum([await ledger.expire_lot(acct, lot) for lot in lots])

    def due() -> QuerySet[PointsLot]:
        return PointsLot.filter(expires_at__lte=now, remaining__gt=0, released_at__not_isnull=True)

    return await _per_member(due, expire, progress, "expired")


async def remind_expiring(days: int) -> int:
    """One ``points.expiring`` event per member and expiry date within ``days``.
    Returns how many reminders were recorded now."""
    now = clock.now()
    rows = await PointsLot.filter(
        released_at__not_isnull=True,
        remaining__gt=0,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=days),
    ).values("member_id", "expires_at", "remaining")
    sums: dict[tuple[int, date], int] = {}
    for r in rows:
        key = (r["member_id"], business_day(r["expires_at"]))
        sums[key] = sums.get(key, 0) + r["remaining"]
    sent = 0
    for (member_id, day), points in sorted(sums.items()):
        try:
            async with in_transaction():
                await ExpiryReminder.create(
                    member_id=member_id, expires_on=day, points=points, created_at=now
                )
                await outbox.record(
                    TOPIC_EXPIRING,
                    {"member_id": member_id, "expires_on": day.isoformat(), "points": points},
                )
            sent += 1
        except IntegrityError:
            continue  # already reminded of this date
    return sent
