"""Catalogue resolvers."""

from __future__ import annotations

from collections.abc import Iterable

from domain.catalog import importer, services
from resolvers.common import attempt, connection
from resolvers.nodes import visible_nodes
from schema.catalog import types as t
from schema.catalog.types import (
    Product,
    ProductConnection,
    ProductInput,
    ProductUpsertSuccess,
)
from schema.context import Info
from schema.relay import decode_cursor, page_size


def _product(row: services.ProductRow) -> Product:
    return Product(**row.__dict__)


async def products(
    info: Info, first: int | None = 20, after: str | None = None, category: str | None = None
) -> ProductConnection:
    limit = page_size(first, info.context.rt.settings.gql_page_max)
    rows, more = await services.page(
        after_id=decode_cursor("product", after), limit=limit, category=category
    )
    return connection(ProductConnection, "product", rows, more, after, _product)


@t.product_nodes.install
async def product_nodes(info: Info, node_ids: Iterable[str]) -> list[Product | None]:
    async def fetch(ids: list[int]) -> dict[int, services.ProductRow]:
        return {r.id: r for r in await services.get_many(ids) if r}

    return await visible_nodes(info, "Product", node_ids, fetch, _product)


async def product_upsert(info: Info, products: list[ProductInput]):
    rows = [vars(p) for p in products]
    return await attempt(
        importer.upsert_all(info.context.viewer, rows),
        lambda done: ProductUpsertSuccess(created=done[0], updated=done[1]),
    )
