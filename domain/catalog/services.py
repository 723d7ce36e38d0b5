"""Catalogue reads."""

from __future__ import annotations

from dataclasses import dataclass

from domain.catalog import store


@dataclass(frozen=True)
class ProductRow:
    id: int
    sku: str
    name: str
    category_path: str
    brand: str
    price_fen: int
    excluded_from_points: bool


_COLUMNS = ("id", "sku", "name", "category_path", "brand", "price_fen", "excluded_from_points")


async def page(
    *, after_id: int | None, limit: int, category: str | None
) -> tuple[list[ProductRow], bool]:
    """Keyset page by id; returns the rows and whether more follow."""
    rows = await store.rows_page(
        after_id=after_id, limit=limit + 1, category=category, columns=_COLUMNS
    )
    return [ProductRow(**r) for r in rows[:limit]], len(rows) > limit


async def get_many(ids: list[int]) -> list[ProductRow | None]:
    rows = {r["id"]: ProductRow(**r) for r in await store.rows_by_ids(ids, _COLUMNS)}
    return [rows.get(i) for i in ids]
