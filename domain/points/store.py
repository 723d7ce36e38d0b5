"""Points rows for other areas (they never import domain.points.tables), and the
conditional updates of lots and reward stock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import F, Q
from tortoise.functions import Sum

from domain.points.model import Kind
from domain.points.tables import LedgerEntry, PointsLot, Reward


async def earned_by_member(start: datetime, end: datetime) -> Any:
    """(member id, points earned) per member for EARN entries created in [start, end)."""
    return await (
        LedgerEntry.filter(kind=Kind.EARN.value, created_at__gte=start, created_at__lt=end)
        .group_by("member_id")
        .annotate(total=Sum("points"))
        .values_list("member_id", "total")
    )


async def take_from_lot(lot_id: int, take: int) -> None:
    await PointsLot.filter(id=lot_id).update(remaining=F("remaining") - take)


async def take_reward_stock(reward_id: int, quantity: int) -> int:
    """``quantity`` out of the reward's stock, only if that many are left (0: not)."""
    return await Reward.filter(Q(id=reward_id) & Q(stock__gte=quantity)).update(
        stock=F("stock") - quantity
    )
