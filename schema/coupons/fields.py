"""Coupon queries and mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.auth import policy
from resolvers import coupons as r
from schema.coupons import types as t
from schema.errors import (
    CouponAlreadyRedeemedError,
    CouponNotApplicableError,
    CouponUnavailableError,
    InvalidInputError,
    MemberFrozenError,
    NotFoundError,
    PermissionDeniedError,
)
from schema.permissions import Allow

CouponTemplateResult = Annotated[
    t.CouponTemplate | InvalidInputError, strawberry.union("CouponTemplateResult")
]
CouponValidateResult = Annotated[
    t.CouponValidation | InvalidInputError | NotFoundError | MemberFrozenError,
    strawberry.union("CouponValidateResult"),
]
CouponRedeemResult = Annotated[
    t.CouponRedeemSuccess
    | CouponAlreadyRedeemedError
    | CouponNotApplicableError
    | InvalidInputError
    | NotFoundError
    | MemberFrozenError,
    strawberry.union("CouponRedeemResult"),
]
CouponVoidResult = Annotated[
    t.CouponRedemptionVoidSuccess | InvalidInputError | NotFoundError,
    strawberry.union("CouponRedemptionVoidResult"),
]
CouponClaimResult = Annotated[
    t.CouponClaimSuccess | CouponUnavailableError | NotFoundError | MemberFrozenError,
    strawberry.union("CouponClaimResult"),
]
CouponIssueResult = Annotated[
    t.CouponIssueReport | InvalidInputError | NotFoundError | PermissionDeniedError,
    strawberry.union("CouponIssueResult"),
]


@strawberry.type
class CouponQuery:
    coupon_templates: list[t.CouponTemplate] = strawberry.field(
        resolver=r.coupon_templates,
        permission_classes=[Allow(policy.READ_COUPON_TEMPLATES)],
        description="Every coupon template with its report (issued, redeemed, expired, "
        "discount given, attributed revenue).",
    )
    coupon_validate: CouponValidateResult = strawberry.field(
        resolver=r.coupon_validate,
        permission_classes=[Allow(policy.VALIDATE_COUPONS)],
        description="Whether a coupon applies to an order draft: every reason it does not "
        "(expired, below threshold, wrong store, category excluded, limit reached, not "
        "stackable with another coupon...) or the discount in fen. Changes nothing. "
        "MemberFrozenError when the coupon's holder is frozen.",
    )


@strawberry.type
class CouponMutation:
    coupon_template_create: CouponTemplateResult = strawberry.mutation(
        resolver=r.coupon_template_create,
        permission_classes=[Allow(policy.MANAGE_COUPONS)],
        description="Create a coupon template. Audited.",
    )
    coupon_issue: CouponIssueResult = strawberry.mutation(
        resolver=r.coupon_issue,
        permission_classes=[Allow(policy.MANAGE_COUPONS)],
        description="Issue a template's coupon to members: a report of who got one and who "
        "did not and why. `batchId` makes a rerun issue nothing twice. Audited.",
    )
    coupon_claim: CouponClaimResult = strawberry.mutation(
        resolver=r.coupon_claim,
        permission_classes=[Allow(policy.CLAIM_COUPONS)],
        description="Claim a claimable coupon (within its stock and your limit); "
        "MemberFrozenError while your account is frozen.",
    )
    coupon_redeem: CouponRedeemResult = strawberry.mutation(
        resolver=r.coupon_redeem,
        permission_classes=[Allow(policy.REDEEM_COUPONS)],
        description="Redeem a coupon for one of your orders: once. A retry for the same "
        "orderExternalId answers with the same redemption; any other order gets "
        "CouponAlreadyRedeemedError; a frozen holder's coupon, MemberFrozenError (nothing "
        "written).",
    )
    coupon_redemption_void: CouponVoidResult = strawberry.mutation(
        resolver=r.coupon_redemption_void,
        permission_classes=[Allow(policy.REDEEM_COUPONS)],
        description="The order was cancelled: void its redemption; the coupon comes back "
        "if still valid (else it is EXPIRED). Idempotent. A full refund does this itself.",
    )
