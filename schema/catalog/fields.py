"""Catalogue queries."""

from __future__ import annotations

import strawberry

from domain.auth.model import Role
from resolvers import catalog as r
from schema.catalog import types as t
from schema.permissions import AnyOf, IsAuthenticated, PartnerScope, StaffWith


@strawberry.type
class CatalogQuery:
    products: t.ProductConnection = strawberry.field(
        resolver=r.products,
        permission_classes=[IsAuthenticated],
        description="The catalogue, by id, 1-100 per page (`first`), filtered by category prefix.",
    )


@strawberry.type
class CatalogMutation:
    product_upsert: t.ProductUpsertResult = strawberry.mutation(
        resolver=r.product_upsert,
        permission_classes=[
            AnyOf(StaffWith(Role.ADMIN, Role.MARKETING_MANAGER), PartnerScope("catalog:write"))
        ],
        description="Create or update products by SKU (1-500 at a time): all or nothing. "
        "For large files use `loyalty catalog-import`.",
    )
