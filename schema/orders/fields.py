"""Order mutations (partners)."""

from __future__ import annotations

import strawberry

from domain.auth import policy
from resolvers import orders as r
from schema.orders import inputs as i
from schema.permissions import Allow


@strawberry.type
class OrderMutation:
    order_create: i.OrderCreateResult = strawberry.mutation(
        resolver=r.order_create,
        permission_classes=[Allow(policy.WRITE_ORDERS)],
        description="Record an order and credit its points (pending for the return window). "
        "paidAt must lie in the window (PaidAtOutOfRangeError); a FROZEN member's order is "
        "refused whole (MemberFrozenError: no earning, points or coupons), nothing written. "
        "Idempotent by externalId forever: the same content answers with the original "
        "result, other content is an IdempotencyConflictError and changes nothing.",
    )
    order_refund: i.OrderRefundResult = strawberry.mutation(
        resolver=r.order_refund,
        permission_classes=[Allow(policy.WRITE_ORDERS)],
        description="Refund by lines or amount; reverses points in proportion, never twice. "
        "Idempotent by refundExternalId.",
    )
