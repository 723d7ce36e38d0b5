"""Points queries and mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.auth import policy
from resolvers import points as r
from schema.errors import (
    IdempotencyConflictError,
    InsufficientPointsError,
    InvalidInputError,
    MemberFrozenError,
    NotFoundError,
    PermissionDeniedError,
    RewardUnavailableError,
)
from schema.permissions import Allow
from schema.points import types as t

MARKETING = Allow(policy.MANAGE_EARNING)

PointsAdjustResult = Annotated[
    t.Points | InvalidInputError | NotFoundError | PermissionDeniedError | InsufficientPointsError,
    strawberry.union("PointsAdjustResult"),
]
RewardRedeemResult = Annotated[
    t.RewardRedeemSuccess
    | InvalidInputError
    | NotFoundError
    | PermissionDeniedError
    | InsufficientPointsError
    | RewardUnavailableError
    | IdempotencyConflictError
    | MemberFrozenError,
    strawberry.union("RewardRedeemResult"),
]
RewardUpsertResult = Annotated[
    t.Reward | InvalidInputError | NotFoundError, strawberry.union("RewardUpsertResult")
]
EarnRulesResult = Annotated[t.EarnRules | InvalidInputError, strawberry.union("EarnRulesResult")]
CampaignResult = Annotated[
    t.PointsCampaign | InvalidInputError, strawberry.union("PointsCampaignResult")
]


@strawberry.type
class PointsQuery:
    rewards: list[t.Reward] = strawberry.field(
        resolver=r.rewards,
        permission_classes=[Allow(policy.READ_REWARDS)],
        description="Rewards that can be redeemed with points.",
    )
    earn_rules: t.EarnRules = strawberry.field(
        resolver=r.earn_rules, permission_classes=[MARKETING], description="How points are earned."
    )


@strawberry.type
class PointsMutation:
    points_adjust: PointsAdjustResult = strawberry.mutation(
        resolver=r.points_adjust,
        permission_classes=[Allow(policy.ADJUST_POINTS)],
        description="Add or remove points by hand, with a reason. Audited.",
    )
    reward_redeem: RewardRedeemResult = strawberry.mutation(
        resolver=r.reward_redeem,
        permission_classes=[Allow(policy.REDEEM_REWARDS)],
        description="Exchange points for a reward. `requestId` (yours) makes retries safe.",
    )
    reward_upsert: RewardUpsertResult = strawberry.mutation(
        resolver=r.reward_upsert,
        permission_classes=[MARKETING],
        description="Create or replace a reward: goods, a coupon of a template, or a lottery "
        "draw with prizes and odds; stock, per-member limit, tiers. Audited.",
    )
    earn_rules_update: EarnRulesResult = strawberry.mutation(
        resolver=r.earn_rules_update,
        permission_classes=[Allow(policy.CHANGE_EARN_RULES)],
        description="Change the base rate, daily cap or exclusions (admins; marketing "
        "proposes campaigns). Only the arguments given change: an absent one is kept, "
        "null clears the cap or a list of exclusions. Audited.",
    )
    points_campaign_create: CampaignResult = strawberry.mutation(
        resolver=r.points_campaign_create,
        permission_classes=[MARKETING],
        description="Add a points multiplier for dates and weekdays (e.g. member day x2).",
    )
