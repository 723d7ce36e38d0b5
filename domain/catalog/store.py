"""Product reads for other areas (they never import domain.catalog.tables)."""

from __future__ import annotations

from domain.catalog.tables import Product


async def by_sku(skus: list[str]) -> dict[str, Product]:
    return {p.sku: p for p in await Product.filter(sku__in=skus)}


async def category_paths(skus: list[str]) -> dict[str, str]:
    return dict(await Product.filter(sku__in=skus).values_list("sku", "category_path"))
