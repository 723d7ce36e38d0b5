"""Order types and inputs."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay

from domain.orders import model as m
from schema.hooks import Hook

if TYPE_CHECKING:
    from schema.context import Info

OrderChannel = strawberry.enum(
    m.Channel, name="OrderChannel", description="Where an order was placed."
)
OrderStatus = strawberry.enum(
    m.Status, name="OrderStatus", description="An order's state after its refunds."
)


# Implemented by the resolvers layer, which imports these types (schema/hooks.py).
order_nodes: Hook[[Info, Iterable[str]], Awaitable[list[Order | None]]] = Hook("order_nodes")


@strawberry.type(description="An order as the loyalty programme knows it.")
class Order(relay.Node):
    id: relay.NodeID[int]
    external_id: str = strawberry.field(description="The partner's order number.")
    channel: OrderChannel
    store_code: str
    paid_at: datetime
    total_paid_fen: int = strawberry.field(description="Paid in money (not points, coupons).")
    refunded_fen: int
    points_earned: int
    points_redeemed: int = strawberry.field(description="Points used as payment.")
    status: OrderStatus

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Order | None]:
        return await order_nodes(info, node_ids)


@strawberry.type(description="A page of orders, newest first.")
class OrderConnection(relay.Connection[Order]):
    pass


@strawberry.type(description="The order is recorded (or, for a retry, was already).")
class OrderCreateSuccess:
    order: Order
    replayed: bool = strawberry.field(description="True: this answers an earlier identical call.")


@strawberry.type(description="A refund as recorded.")
class Refund:
    external_id: str
    amount_fen: int
    points_reversed: int = strawberry.field(description="Earned points taken back.")
    points_returned: int = strawberry.field(description="Points paid with, given back.")


@strawberry.type(description="The refund is recorded (or, for a retry, was already).")
class OrderRefundSuccess:
    refund: Refund
    order: Order
    replayed: bool
