"""Reads of the tier ladder for other areas (they never import domain.tiers.tables)."""

from __future__ import annotations

from domain.tiers.tables import Tier


async def get_or_none(tier_id: int | None) -> Tier | None:
    return await Tier.get_or_none(id=tier_id) if tier_id else None


async def codes(tier_id: int | None) -> list[str]:
    """The code of ``tier_id`` as a list ([] when unplaced or unknown)."""
    return await Tier.filter(id=tier_id).values_list("code", flat=True)


async def ranks_by_code() -> dict[str, int]:
    return dict(await Tier.all().values_list("code", "rank"))  # type: ignore[arg-type]


async def ranks_by_id(ids: list[int]) -> dict[int, int]:
    return {t.id: t.rank for t in await Tier.filter(id__in=ids)}
