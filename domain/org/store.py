"""Reads of the organisation's reference tables (regions, stores) for other layers."""

from __future__ import annotations

from domain.org.tables import Region, Store


async def regions_by_ids(ids: list[int]) -> dict[int, Region]:
    return {r.id: r for r in await Region.filter(id__in=ids)}


async def stores_by_ids(ids: list[int]) -> dict[int, Store]:
    return {s.id: s for s in await Store.filter(id__in=ids)}
