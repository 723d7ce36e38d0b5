"""Every read and write of the product table (other areas read products here too: they
never import domain.catalog.tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.expressions import Q

from domain.catalog.tables import Product


async def by_sku(skus: list[str]) -> dict[str, Product]:
    return {p.sku: p for p in await Product.filter(sku__in=skus)}


async def category_paths(skus: list[str]) -> dict[str, str]:
    return dict(await Product.filter(sku__in=skus).values_list("sku", "category_path"))


async def rows_page(
    *, after_id: int | None, limit: int, category: str | None, columns: Sequence[str]
) -> list[dict]:
    """Up to ``limit`` products after ``after_id`` by id (in ``category`` and below), as
    dict rows of ``columns``."""
    qs = Product.all()
    if after_id is not None:
        qs = qs.filter(id__gt=after_id)
    if category:
        qs = qs.filter(category_path__startswith=category)
    return await qs.order_by("id").limit(limit).values(*columns)


async def rows_by_ids(ids: list[int], columns: Sequence[str]) -> list[dict]:
    return await Product.filter(id__in=ids).values(*columns)


async def upsert_by_sku(products: list[dict[str, Any]], batch_size: int) -> int:
    """Insert or update ``products`` (column values) by SKU, in the caller's transaction:
    the new ones in bulk inserts of ``batch_size``. Returns how many were new."""
    existing = {p.sku: p for p in await Product.filter(sku__in=[p["sku"] for p in products])}
    created = [Product(**p) for p in products if p["sku"] not in existing]
    for p in products:
        row = existing.get(p["sku"])
        if row is not None:
            row.update_from_dict(p)
            await row.save()
    if created:
        await Product.bulk_create(created, batch_size=batch_size)
    return len(created)


async def category_exists(path: str) -> bool:
    """Is ``path`` a product's category or a whole-segment prefix of one ("生鲜/水果")?"""
    return await Product.filter(
        Q(category_path=path) | Q(category_path__startswith=path + "/")
    ).exists()
