"""Order reads for member views and mutation answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.errors import InvalidInput
from domain.members.services import MemberView
from domain.orders import store


@dataclass(frozen=True)
class OrderRow:
    """An order as views show it (read with ``store.ROW_COLUMNS``)."""

    id: int
    member_id: int | None
    external_id: str
    channel: str
    store_code: str
    paid_at: datetime
    total_paid_fen: int
    refunded_fen: int
    points_earned: int
    points_redeemed: int
    status: str


def _rows(rows: list[dict]) -> list[OrderRow]:
    return [OrderRow(**r) for r in rows]


# The one order of a member's orders, newest first: by when they were paid, the id
# breaking ties (two orders paid the same second; an order posted late sits by its
# paidAt, not by when it arrived). Member.orders and customer360 both read it.
NEWEST_FIRST = ("-paid_at", "-id")


async def recent(member: MemberView, *, limit: int) -> list[OrderRow]:
    """The member's latest orders (customer360): the first page of ``page``."""
    rows, _more = await page(member, before_id=None, limit=limit)
    return rows


async def page(
    member: MemberView, *, before_id: int | None, limit: int
) -> tuple[list[OrderRow], bool]:
    """The member's orders in NEWEST_FIRST order, after the order ``before_id`` (the
    cursor: a keyset on (paid_at, id), which the cursor's order id names)."""
    before = None
    if before_id is not None:
        paid_at = await store.paid_at_of(before_id, member.id)
        if paid_at is None:
            raise InvalidInput("The cursor is not valid for this list.", field="after")
        before = (paid_at, before_id)
    rows = _rows(await store.member_page(member.id, before, NEWEST_FIRST, limit + 1))
    return rows[:limit], len(rows) > limit


async def one(order_id: int) -> OrderRow:
    (row,) = _rows(await store.rows_where(id=order_id))
    return row


async def by_external_id(partner_id: int | None, external_id: str) -> OrderRow:
    (row,) = _rows(await store.rows_where(partner_id=partner_id, external_id=external_id))
    return row


async def by_ids(ids: list[int]) -> dict[int, OrderRow]:
    """Orders by id (for ``node``; the caller applies member scope to ``member_id``)."""
    return {r.id: r for r in _rows(await store.rows_where(id__in=ids))}
