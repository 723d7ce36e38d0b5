"""Catalogue resolvers."""

from __future__ import annotations

from strawberry import relay

from domain.catalog import services
from schema.catalog.types import Product, ProductConnection
from schema.context import Info
from schema.relay import decode_cursor, encode_cursor, page_size


def _product(row: services.ProductRow) -> Product:
    return Product(**row.__dict__)


async def products(
    info: Info, first: int | None = 20, after: str | None = None, category: str | None = None
) -> ProductConnection:
    limit = page_size(first, info.context.rt.settings.gql_page_max)
    rows, more = await services.page(
        after_id=decode_cursor("product", after), limit=limit, category=category
    )
    edges = [relay.Edge(node=_product(r), cursor=encode_cursor("product", r.id)) for r in rows]
    return ProductConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=more,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


async def products_by_ids(ids: list[int]) -> list[Product | None]:
    return [_product(r) if r else None for r in await services.get_many(ids)]
