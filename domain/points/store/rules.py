"""The earning rules row and the points campaigns (``domain.points.rules``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain import clock
from domain.db import IntegrityError, in_transaction
from domain.points.tables import EarnRules, PointsCampaign


async def earn_rules() -> EarnRules | None:
    """The rules row; None until the rules are first changed (the defaults apply)."""
    return await EarnRules.get_or_none(id=1)


async def lock_earn_rules() -> EarnRules:
    """The rules row (the defaults on first use), locked for this transaction."""
    found = await EarnRules.select_for_update().get_or_none(id=1)
    if found is not None:
        return found
    try:
        async with in_transaction():
            await EarnRules.create(id=1, updated_at=clock.now())
    except IntegrityError:
        pass  # created by a concurrent update a moment ago
    return await EarnRules.select_for_update().get(id=1)


async def save_earn_rules(row: EarnRules) -> None:
    await row.save()


async def campaigns_on(day: date) -> list[PointsCampaign]:
    """Active campaigns whose dates include ``day``, by id."""
    return await PointsCampaign.filter(active=True, starts_on__lte=day, ends_on__gte=day).order_by(
        "id"
    )


async def add_campaign(**fields: Any) -> PointsCampaign:
    return await PointsCampaign.create(**fields)


async def campaigns_by_ids(ids: list[int]) -> dict[int, PointsCampaign]:
    return {r.id: r for r in await PointsCampaign.filter(id__in=ids)}
