"""Catalogue resolvers."""

from __future__ import annotations

from strawberry.utils.str_converters import to_camel_case

from domain.catalog import importer, services
from domain.errors import InvalidInput
from resolvers.common import connection
from schema.catalog.types import (
    Product,
    ProductConnection,
    ProductInput,
    ProductRowError,
    ProductUpsertSuccess,
)
from schema.context import Info
from schema.errors import InvalidInputError
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


async def products_by_ids(ids: list[int]) -> list[Product | None]:
    return [_product(r) if r else None for r in await services.get_many(ids)]


async def product_upsert(info: Info, products: list[ProductInput]):
    if not 1 <= len(products) <= 500:
        return InvalidInputError(
            code="INVALID_INPUT", message="Send 1-500 products at a time.", field="products"
        )
    parsed = []
    for n, p in enumerate(products, start=1):
        try:
            parsed.append(importer.parse_row(vars(p)))
        except InvalidInput as exc:
            field = to_camel_case(exc.field)
            return ProductRowError(code=exc.code, message=exc.message, row=n, field=field)
    if len({p.sku for p in parsed}) != len(parsed):
        return InvalidInputError(
            code="INVALID_INPUT", message="A SKU appears twice.", field="products"
        )
    created, updated = await importer.upsert_all(info.context.viewer, parsed)
    return ProductUpsertSuccess(created=created, updated=updated)
