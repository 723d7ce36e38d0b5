"""The statements of the scheduled points jobs (``domain.points.jobs``): which lots are
due, the expiry reminders, the year-end rebates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from domain.points.model import Kind
from domain.points.tables import ExpiryReminder, LedgerEntry, PointsLot, PointsRebate


async def members_with_lots_to_release(now: datetime, limit: int) -> list[int]:
    """Members of (up to ``limit``) pending lots whose return window is over."""
    ids = await (
        PointsLot.filter(released_at=None, available_at__lte=now)
        .limit(limit)
        .values_list("member_id", flat=True)
    )
    return cast(list[int], ids)


async def lots_to_release(member_id: int, now: datetime) -> list[PointsLot]:
    """The member's pending lots whose return window is over, oldest-expiring first."""
    return await (
        PointsLot.filter(released_at=None, available_at__lte=now)
        .filter(member_id=member_id)
        .order_by("expires_at", "id")
    )


async def members_with_lots_to_expire(now: datetime, limit: int) -> list[int]:
    """Members of (up to ``limit``) released lots past their expiry with points left."""
    ids = await (
        PointsLot.filter(expires_at__lte=now, remaining__gt=0, released_at__not_isnull=True)
        .limit(limit)
        .values_list("member_id", flat=True)
    )
    return cast(list[int], ids)


async def lots_to_expire(member_id: int, now: datetime) -> list[PointsLot]:
    """The member's released lots past their expiry with points left."""
    return await (
        PointsLot.filter(expires_at__lte=now, remaining__gt=0, released_at__not_isnull=True)
        .filter(member_id=member_id)
        .order_by("expires_at", "id")
    )


async def lots_expiring(after: datetime, until: datetime) -> list[dict[str, Any]]:
    """(member_id, expires_at, remaining) of released lots expiring in (after, until]."""
    return await PointsLot.filter(
        released_at__not_isnull=True,
        remaining__gt=0,
        expires_at__gt=after,
        expires_at__lte=until,
    ).values("member_id", "expires_at", "remaining")


async def add_expiry_reminder(member_id: int, day: date, points: int, now: datetime) -> None:
    """Record the reminder of the member's points expiring that day (IntegrityError: sent)."""
    await ExpiryReminder.create(member_id=member_id, expires_on=day, points=points, created_at=now)


async def earners(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The members with an EARN entry created in [start, end) (rows of ``member_id``)."""
    return await (
        LedgerEntry.filter(kind=Kind.EARN.value, created_at__gte=start, created_at__lt=end)
        .distinct()
        .values("member_id")
    )


async def rebated(member_id: int, year: int) -> bool:
    """Whether the member's points of ``year`` were converted already."""
    return await PointsRebate.exists(member_id=member_id, year=year)


async def add_rebate(**fields: Any) -> None:
    """Record a member's converted year (unique per member and year)."""
    await PointsRebate.create(**fields)
