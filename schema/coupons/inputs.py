"""Coupon inputs."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.coupons.types import CouponKind, CouponTrigger, LimitPeriod
from schema.orders.types import OrderChannel


@strawberry.input(description="A ladder step: spend thresholdFen, get offFen off.")
class LadderStepInput:
    threshold_fen: int
    off_fen: int


@strawberry.input(
    description="A coupon template. Validity: validFrom/validUntil, or validityDays from "
    "issue. Empty eligibility lists mean everyone / everywhere."
)
class CouponTemplateInput:
    code: str
    name: str
    kind: CouponKind
    threshold_fen: int = 0
    value_fen: int = strawberry.field(default=0, description="AMOUNT_OFF without a ladder.")
    ladder: list[LadderStepInput] = strawberry.field(default_factory=list)
    percent_off: int = 0
    cap_fen: int | None = strawberry.field(default=None, description="PERCENT_OFF, delivery.")
    gift_sku: str = ""
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    validity_days: int | None = None
    weekdays: list[int] = strawberry.field(default_factory=list, description="1=Mon..7=Sun.")
    hour_from: int | None = strawberry.field(default=None, description="Asia/Shanghai hour.")
    hour_to: int | None = None
    total_stock: int | None = None
    budget_fen: int | None = strawberry.field(default=None, description="Most discount given.")
    per_member_limit: int | None = strawberry.field(default=1, description="Held in total.")
    period_limit: int | None = strawberry.field(
        default=None, description="Uses per member and limitPeriod."
    )
    limit_period: LimitPeriod | None = None
    tiers: list[str] = strawberry.field(default_factory=list)
    stores: list[str] = strawberry.field(default_factory=list)
    channels: list[OrderChannel] = strawberry.field(default_factory=list)
    include_categories: list[str] = strawberry.field(default_factory=list)
    exclude_categories: list[str] = strawberry.field(default_factory=list)
    include_skus: list[str] = strawberry.field(default_factory=list)
    exclude_skus: list[str] = strawberry.field(default_factory=list)
    discounted_items_count: bool = strawberry.field(
        default=True, description="Whether already-discounted lines count toward the threshold."
    )
    stacking_group: str = strawberry.field(default="", description="At most one per group.")
    exclusive: bool = strawberry.field(default=False, description="Combines with no coupon.")
    claimable: bool = strawberry.field(default=False, description="Members claim it themselves.")
    trigger: CouponTrigger | None = None


@strawberry.input(description="One line of an order being checked out.")
class DraftLineInput:
    sku: str
    quantity: int
    unit_price_fen: int
    discount_fen: int = strawberry.field(default=0, description="Item promotions, not coupons.")


@strawberry.input(description="An order as it stands at checkout.")
class OrderDraftInput:
    store_code: str
    channel: OrderChannel
    lines: list[DraftLineInput]
    delivery_fee_fen: int = 0
    other_coupon_codes: list[str] = strawberry.field(
        default_factory=list, description="Other coupons of the same order (stacking rules)."
    )


@strawberry.input(description="Redeem a coupon for one of your orders.")
class CouponRedeemInput:
    code: str
    order_external_id: str = strawberry.field(
        description="Your order number: a retry for it answers with the same redemption."
    )
    order: OrderDraftInput
