"""Tier queries and admin mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.auth import policy
from resolvers import tiers as r
from schema.errors import ConflictError, InvalidInputError, NotFoundError
from schema.permissions import Allow
from schema.tiers import types as t

ADMIN = Allow(policy.MANAGE_TIERS)

TierUpsertResult = Annotated[
    t.Tier | InvalidInputError | ConflictError, strawberry.union("TierUpsertResult")
]
TierOverrideResult = Annotated[
    t.TierHistoryEntry | InvalidInputError | NotFoundError, strawberry.union("TierOverrideResult")
]


@strawberry.type
class TierQuery:
    tiers: list[t.Tier] = strawberry.field(
        resolver=r.tiers, permission_classes=[Allow(policy.READ_TIERS)], description="The ladder."
    )


@strawberry.type
class TierMutation:
    tier_upsert: TierUpsertResult = strawberry.mutation(
        resolver=r.tier_upsert,
        permission_classes=[ADMIN],
        description="Create or change a rung of the ladder (by code). Audited.",
    )
    tier_override: TierOverrideResult = strawberry.mutation(
        resolver=r.tier_override,
        permission_classes=[ADMIN],
        description="Put a member on a tier until a date; then the review applies. Audited.",
    )
