"""Catalogue queries."""

from __future__ import annotations

import strawberry

from resolvers import catalog as r
from schema.catalog import types as t
from schema.permissions import IsAuthenticated


@strawberry.type
class CatalogQuery:
    products: t.ProductConnection = strawberry.field(
        resolver=r.products,
        permission_classes=[IsAuthenticated],
        description="The catalogue, by id, 1-100 per page (`first`), filtered by category prefix.",
    )
