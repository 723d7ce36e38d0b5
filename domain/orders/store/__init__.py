"""The orders area's store: every statement on orders, their lines and refunds (the
services decide, this module reads and writes); other areas reach order rows only
through here (they never import domain.orders.tables)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from tortoise.expressions import Q, Subquery
from tortoise.functions import Max
from tortoise.queryset import QuerySet

from domain.orders.tables import Order, OrderLine, Refund


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


# --- reads of orders as views show them (``domain.orders.queries``) ---

# The columns of ``queries.OrderRow``, named as the row's fields.
ROW_COLUMNS = {
    "id": "id",
    "member_id": "member_id",
    "external_id": "external_id",
    "channel": "channel",
    "store_code": "store__code",
    "paid_at": "paid_at",
    "total_paid_fen": "total_paid_fen",
    "refunded_fen": "refunded_fen",
    "points_earned": "points_earned",
    "points_redeemed": "points_redeemed",
    "status": "status",
}


async def _rows(qs: QuerySet[Order]) -> list[dict[str, Any]]:
    return await qs.values(**ROW_COLUMNS)


async def member_page(
    member_id: int, before: tuple[datetime, int] | None, order_by: Iterable[str], limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` of the member's orders in ``order_by`` order, after the order
    ``before`` = (paid_at, id) when given (``older_than``)."""
    qs = Order.filter(member_id=member_id)
    if before is not None:
        qs = older_than(qs, *before)
    return await _rows(qs.order_by(*order_by).limit(limit))


async def rows_where(**filters: Any) -> list[dict[str, Any]]:
    """The orders matching ``filters`` (``id``, ``id__in``, ``partner_id`` + ``external_id``)."""
    return await _rows(Order.filter(**filters))


# --- posting an order (``domain.orders.services``) ---


async def by_external_id(partner_id: int | None, external_id: str) -> Order | None:
    return await Order.get_or_none(partner_id=partner_id, external_id=external_id)


async def get_by_external_id(partner_id: int | None, external_id: str) -> Order:
    """The partner's order ``external_id`` (DoesNotExist when there is none)."""
    return await Order.get(partner_id=partner_id, external_id=external_id)


async def add_order(**fields: Any) -> Order:
    """A new order (IntegrityError: the partner's external id is taken)."""
    return await Order.create(**fields)


async def add_lines(order_id: int, lines: list[dict[str, Any]]) -> None:
    """The order's lines, in one statement."""
    await OrderLine.bulk_create([OrderLine(order_id=order_id, **ln) for ln in lines])


async def save_points(order: Order) -> None:
    """The points the order earned and redeemed."""
    await order.save(update_fields=["points_earned", "points_redeemed"])


async def points_earned_between(member_id: int, start: datetime, end: datetime) -> list[int]:
    """The points earned by each of the member's orders paid in [start, end)."""
    rows = await Order.filter(member_id=member_id, paid_at__gte=start, paid_at__lt=end).values_list(
        "points_earned", flat=True
    )
    return cast(list[int], rows)


# --- refunds (``domain.orders.refunds``) ---


async def lock_partner_order(partner_id: int | None, external_id: str) -> Order | None:
    """The partner's order ``external_id``, locked for this transaction."""
    return await Order.select_for_update().get_or_none(
        partner_id=partner_id, external_id=external_id
    )


async def refund_by_external_id(partner_id: int | None, external_id: str) -> Refund | None:
    return await Refund.get_or_none(partner_id=partner_id, external_id=external_id)


async def add_refund(**fields: Any) -> Refund:
    """A new refund (IntegrityError: the partner's refund id is taken)."""
    return await Refund.create(**fields)


async def lines_of(order_id: int) -> list[OrderLine]:
    """The order's lines, in the order they were posted."""
    return await OrderLine.filter(order_id=order_id).order_by("id")


async def add_refunded_quantity(line_id: int, quantity: int) -> None:
    """``quantity`` more of the line refunded (the order's row lock serialises this)."""
    line = await OrderLine.get(id=line_id)
    line.refunded_quantity += quantity
    await line.save(update_fields=["refunded_quantity"])


async def save_refunded(order: Order) -> None:
    """The order's refunded amount, status and points reversed."""
    await order.save(update_fields=["refunded_fen", "status", "points_reversed"])


async def save_refund_points(row: Refund) -> None:
    """The points the refund reversed and returned."""
    await row.save(update_fields=["points_reversed", "points_returned"])


async def points_returned_before(order_id: int) -> bool:
    """Whether a refund of the order already gave back the points paid with."""
    return await Refund.filter(order_id=order_id, points_returned__gt=0).exists()


async def bought_between(
    member_ids: list[int], product_ids: list[int], after: datetime, until: datetime
) -> list[tuple[int, int, datetime]]:
    """(member, product, paid_at) of the order lines of ``member_ids`` buying one of
    ``product_ids`` paid in (after, until] (the feed report's purchase conversion)."""
    if not member_ids or not product_ids:
        return []
    rows = await OrderLine.filter(
        order__member_id__in=member_ids,
        product_id__in=product_ids,
        order__paid_at__gt=after,
        order__paid_at__lte=until,
    ).values_list("order__member_id", "product_id", "order__paid_at")
    return [(int(m), int(p), at) for m, p, at in rows]
