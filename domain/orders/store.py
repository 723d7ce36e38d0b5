"""Order rows for other areas (they never import domain.orders.tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Max
from tortoise.queryset import QuerySet

from domain.orders.tables import Order


def buyers() -> Subquery:
    """The ids of members with an order, as a subquery for another area's filter."""
    return Subquery(Order.filter(member_id__isnull=False).values("member_id"))


async def last_paid_between(after: datetime, until: datetime) -> Any:
    """(member id, last paid_at) of members whose last order was paid in (after, until]."""
    return await (
        Order.filter(member_id__isnull=False)
        .group_by("member_id")
        .annotate(last=Max("paid_at"))
        .filter(last__lte=until, last__gt=after)
        .values_list("member_id", "last")
    )


async def member_order_ids(member_id: int) -> Any:
    return await Order.filter(member_id=member_id).values_list("id", flat=True)


async def repoint(ids: list[int], from_member: int, to_member: int) -> None:
    """Orders ``ids`` that belong to ``from_member`` now belong to ``to_member``."""
    await Order.filter(id__in=ids, member_id=from_member).update(member_id=to_member)


def older_than(qs: QuerySet[Order], paid_at: datetime, order_id: int) -> QuerySet[Order]:
    """``qs`` narrowed to orders after (paid_at, order_id) in newest-first order: the
    keyset of a member's order pages."""
    return qs.filter(Q(paid_at__lt=paid_at) | Q(paid_at=paid_at, id__lt=order_id))


async def paid_at_of(order_id: int, member_id: int) -> datetime | None:
    """When the member's order ``order_id`` was paid; None if it is not theirs."""
    order = await Order.filter(id=order_id, member_id=member_id).only("id", "paid_at").first()
    return order.paid_at if order else None
