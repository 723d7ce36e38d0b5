"""Order reads for the member views (the write side arrives with the ledger)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.members.services import MemberView
from domain.orders.tables import Order


@dataclass(frozen=True)
class OrderSummary:
    external_id: str
    channel: str
    store_code: str
    paid_at: datetime
    total_paid_fen: int


async def recent(member: MemberView, *, limit: int) -> list[OrderSummary]:
    rows = (
        await Order.filter(member_id=member.id)
        .order_by("-paid_at", "-id")
        .limit(limit)
        .values("external_id", "channel", "store__code", "paid_at", "total_paid_fen")
    )
    return [
        OrderSummary(
            external_id=r["external_id"],
            channel=r["channel"],
            store_code=r["store__code"],
            paid_at=r["paid_at"],
            total_paid_fen=r["total_paid_fen"],
        )
        for r in rows
    ]
