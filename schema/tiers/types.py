"""Tier types."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from domain.tiers import model as m

TierChangeReason = strawberry.enum(
    m.ChangeReason, name="TierChangeReason", description=m.ChangeReason.__doc__
)


@strawberry.type(description="A rung of the tier ladder.")
class Tier:
    code: str
    name: str
    rank: int = strawberry.field(description="0 for the entry tier, higher is better.")
    threshold_fen: int = strawberry.field(description="Qualifying spend in 12 months (fen).")
    threshold_points: int = strawberry.field(description="Used when TIER_MEASURE=points.")
    points_multiplier_pct: int = strawberry.field(description="150 = x1.5 points.")
    benefits: JSON = strawberry.field(
        description="birthdayCouponTemplate, freeReturns, priorityDelivery, earlyAccess, "
        "memberPrices."
    )


@strawberry.type(description="Progress on the ladder (rolling 12 months).")
class TierProgress:
    current: Tier
    next: Tier | None = strawberry.field(
        description="The lowest higher tier the spend has not reached yet; null at the top."
    )
    qualifying_spend_fen: int = strawberry.field(
        description="Spend (or points, by TIER_MEASURE) in the last 12 months, net of refunds."
    )
    spend_to_next_fen: int = strawberry.field(
        description="Still missing to reach `next`: more than 0 below the top, 0 at the top."
    )
    spend_to_keep_fen: int = strawberry.field(
        description="Still missing to keep the current tier at the review (0: kept)."
    )
    review_at: datetime | None = strawberry.field(
        description="When the tier is next reviewed; null on the entry tier (never reviewed)."
    )


@strawberry.type(description="One change of tier.")
class TierHistoryEntry:
    from_code: str | None = strawberry.field(description="Null for a first placement.")
    to_code: str
    reason: TierChangeReason
    qualifying_measure: int
    detail: str
    created_at: datetime


@strawberry.input(description="A rung of the ladder, matched by code.")
class TierInput:
    code: str
    name: str
    rank: int
    threshold_fen: int
    threshold_points: int = 0
    points_multiplier_pct: int = 100
    # null, not {}: an object default printed as `= {}` broke introspection and printSchema
    benefits: JSON | None = strawberry.field(
        default=None, description="Null: no benefits. Keys as on Tier.benefits."
    )
