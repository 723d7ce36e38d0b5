"""Coupon types: templates, a member's coupons, validation verdicts, redemptions."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay

from domain.coupons import model as m
from schema.hooks import Hook

if TYPE_CHECKING:
    from schema.context import Info

CouponKind = strawberry.enum(m.Kind, name="CouponKind", description="What a coupon gives.")
CouponTrigger = strawberry.enum(
    m.Trigger, name="CouponTrigger", description="An event that issues a template's coupon."
)
CouponSource = strawberry.enum(m.Source, name="CouponSource", description=m.Source.__doc__)
CouponRefusal = strawberry.enum(m.Refusal, name="CouponRefusal", description=m.Refusal.__doc__)
LimitPeriod = strawberry.enum(m.Period, name="LimitPeriod", description="A limit's period.")
CouponFailureReason = strawberry.enum(
    m.Reason, name="CouponFailureReason", description="Why a coupon does not apply."
)


@strawberry.enum(description="A coupon's state for its holder.")
class CouponStatus(Enum):
    ACTIVE = "ACTIVE"
    USED = "USED"
    EXPIRED = "EXPIRED"


# Implemented by the resolvers layer, which imports these types (schema/hooks.py).
coupon_nodes: Hook[[Info, Iterable[str]], Awaitable[list[Coupon | None]]] = Hook("coupon_nodes")
template_nodes: Hook[[Info, Iterable[str]], Awaitable[list[CouponTemplate | None]]] = Hook(
    "template_nodes"
)
report_of: Hook[[int], Awaitable[CouponTemplateReport]] = Hook("report_of")


@strawberry.type(description="One coupon of a member.")
class Coupon(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="Unique and unguessable: shown as a QR code.")
    status: CouponStatus
    name: str
    kind: CouponKind
    description: str = strawberry.field(description='e.g. "满100减20, 2026-12-31 前有效".')
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    source: CouponSource

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Coupon | None]:
        return await coupon_nodes(info, node_ids)


@strawberry.type(description="A page of coupons, newest first.")
class CouponConnection(relay.Connection[Coupon]):
    pass


@strawberry.type(description="A step of an amount-off ladder: spend thresholdFen, get offFen off.")
class LadderStep:
    threshold_fen: int
    off_fen: int


@strawberry.type(description="Issued, redeemed and expired counts and what they brought in.")
class CouponTemplateReport:
    issued: int
    redeemed: int = strawberry.field(description="Redemptions standing (voids excluded).")
    expired: int
    discount_given_fen: int
    attributed_revenue_fen: int = strawberry.field(
        description="Paid (net of refunds) on the orders its coupons were redeemed for."
    )


@strawberry.type(description="A coupon a member can claim now.")
class ClaimableCoupon:
    template_code: str
    name: str
    kind: CouponKind
    description: str
    stock_left: int | None = strawberry.field(description="Null: unlimited.")


@strawberry.type(description="What a coupon does not satisfy, with the coupon in the way.")
class CouponFailure:
    reason: CouponFailureReason
    message: str
    conflicting_code: str | None = strawberry.field(
        description="NOT_STACKABLE: the coupon of the order it conflicts with."
    )


@strawberry.type(description="Whether a coupon applies to an order draft, and for how much.")
class CouponValidation:
    code: str
    applicable: bool
    discount_fen: int = strawberry.field(description="0 when not applicable.")
    gift_sku: str | None = strawberry.field(description="GIFT coupons: the free item.")
    failures: list[CouponFailure] = strawberry.field(description="Every reason, empty if fine.")
    description: str


@strawberry.type(description="A coupon redeemed for an order.")
class CouponRedemption:
    code: str
    order_external_id: str
    discount_fen: int
    gift_sku: str | None
    redeemed_at: datetime


@strawberry.type(description="Redeemed (or, for a retry for the same order, had been).")
class CouponRedeemSuccess:
    redemption: CouponRedemption
    replayed: bool


@strawberry.type(description="The redemption is void; the coupon is back if still valid.")
class CouponRedemptionVoidSuccess:
    code: str
    order_external_id: str
    coupon_status: CouponStatus = strawberry.field(description="ACTIVE again, or EXPIRED.")
    replayed: bool


@strawberry.type(description="Claimed: the new coupon.")
class CouponClaimSuccess:
    coupon: Coupon


@strawberry.type(description="One member the issue skipped, and why.")
class CouponIssueSkip:
    member_id: strawberry.ID
    reason: CouponRefusal = strawberry.field(
        description="Why: MEMBER_FROZEN for a frozen member, MEMBER_NOT_ACTIVE for an erased "
        "or merged one."
    )


@strawberry.type(description="One member who got a coupon.")
class CouponIssued:
    member_id: strawberry.ID
    code: str


@strawberry.type(description="Who got a coupon and who did not, and why.")
class CouponIssueReport:
    issued: list[CouponIssued]
    skipped: list[CouponIssueSkip]


@strawberry.type(description="A coupon template (marketing staff): terms, limits, stock, report.")
class CouponTemplate(relay.Node):
    id: relay.NodeID[int]
    code: str
    name: str
    kind: CouponKind
    description: str
    ladder: list[LadderStep] = strawberry.field(description="AMOUNT_OFF steps, ascending.")
    threshold_fen: int
    percent_off: int
    cap_fen: int | None
    gift_sku: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    validity_days: int | None = strawberry.field(description="Days from issue when no dates.")
    weekdays: list[int]
    hour_from: int | None
    hour_to: int | None
    total_stock: int | None
    stock_left: int | None
    budget_fen: int | None
    budget_left_fen: int | None
    per_member_limit: int | None
    period_limit: int | None
    limit_period: LimitPeriod | None
    tiers: list[str]
    stores: list[str]
    channels: list[str]
    include_categories: list[str]
    exclude_categories: list[str]
    include_skus: list[str]
    exclude_skus: list[str]
    discounted_items_count: bool
    stacking_group: str | None
    exclusive: bool
    claimable: bool
    trigger: CouponTrigger | None
    active: bool

    @strawberry.field(description="Issued, redeemed, expired, discount given, revenue.")
    async def report(self, info: strawberry.Info) -> CouponTemplateReport:
        return await report_of(self.id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[CouponTemplate | None]:
        return await template_nodes(info, node_ids)
