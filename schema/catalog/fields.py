"""Catalogue queries."""

from __future__ import annotations

import strawberry

from domain.auth import policy
from resolvers import catalog as r
from schema.catalog import types as t
from schema.permissions import Allow


@strawberry.type
class CatalogQuery:
    products: t.ProductConnection = strawberry.field(
        resolver=r.products,
        permission_classes=[Allow(policy.READ_CATALOG)],
        description="The catalogue, by id, 1-100 per page (`first`), filtered by category prefix.",
    )


@strawberry.type
class CatalogMutation:
    product_upsert: t.ProductUpsertResult = strawberry.mutation(
        resolver=r.product_upsert,
        permission_classes=[Allow(policy.WRITE_CATALOG)],
        description="Create or update products by SKU (1-500 at a time): all or nothing. "
        "For large files use `loyalty catalog-import`.",
    )
