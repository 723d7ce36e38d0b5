"""Order inputs and mutation results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from schema.errors import (
    CardNotActiveError,
    CouponAlreadyRedeemedError,
    CouponNotApplicableError,
    IdempotencyConflictError,
    InsufficientPointsError,
    InvalidInputError,
    InvalidPhoneError,
    MemberFrozenError,
    NotFoundError,
    PaidAtOutOfRangeError,
    ScanCodeExpiredError,
    ScanCodeInvalidError,
)
from schema.members.inputs import MemberRefInput
from schema.orders.types import OrderChannel, OrderCreateSuccess, OrderRefundSuccess


@strawberry.input(description="One line of an order.")
class OrderLineInput:
    sku: str
    quantity: int
    unit_price_fen: int
    discount_fen: int = 0


@strawberry.input(description="An order posted by a partner. Idempotent by externalId.")
class OrderCreateInput:
    external_id: str = strawberry.field(
        description="Your order number (default format store code + date + serial)."
    )
    channel: OrderChannel
    store_code: str
    paid_at: datetime = strawberry.field(
        description="When it was paid, with a time zone offset: at most "
        "ORDER_BACKDATE_MAX_DAYS (default 30) days ago and at most ORDER_CLOCK_SKEW_S "
        "(default 300 s) ahead, else PaidAtOutOfRangeError. Its points are pending for the "
        "return window from paidAt and expire by the lot rule from paidAt's year; a lot "
        "already past expiry is recorded as EARN + EXPIRE (shown in the history, never "
        "spendable, not in the balance)."
    )
    lines: list[OrderLineInput]
    total_paid_fen: int = strawberry.field(description="Paid in money, after discounts.")
    member: MemberRefInput | None = strawberry.field(
        default=None, description="Who bought; omit for a non-member order (earns nothing)."
    )
    coupon_codes: list[str] = strawberry.field(
        default_factory=list,
        description="Coupons used on this order (at most 5): redeemed with it, or the ones "
        "couponRedeem already redeemed for this externalId. A refusal records nothing.",
    )
    points_to_redeem: int = strawberry.field(
        default=0, description="Points used as payment (POINTS_VALUE_FEN fen each)."
    )


@strawberry.input(description="A quantity of one SKU to refund.")
class RefundLineInput:
    sku: str
    quantity: int


@strawberry.input(description="A refund of one of your orders: by lines or by amountFen.")
class OrderRefundInput:
    order_external_id: str
    refund_external_id: str = strawberry.field(description="Your refund number: idempotency.")
    lines: list[RefundLineInput] | None = None
    amount_fen: int | None = None


OrderCreateResult = Annotated[
    OrderCreateSuccess
    | InvalidInputError
    | NotFoundError
    | IdempotencyConflictError
    | InsufficientPointsError
    | InvalidPhoneError
    | ScanCodeInvalidError
    | ScanCodeExpiredError
    | CardNotActiveError
    | CouponAlreadyRedeemedError
    | CouponNotApplicableError
    | PaidAtOutOfRangeError
    | MemberFrozenError,
    strawberry.union("OrderCreateResult"),
]
OrderRefundResult = Annotated[
    OrderRefundSuccess | InvalidInputError | NotFoundError | IdempotencyConflictError,
    strawberry.union("OrderRefundResult"),
]
