"""Catalogue types."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from schema.errors import InvalidInputError, ProductRowError
from schema.hooks import Hook

if TYPE_CHECKING:
    from schema.context import Info
    from schema.feeds.types import BoughtTogether


# Implemented by the resolvers layer, which imports these types (schema/hooks.py).
product_nodes: Hook[[Info, Iterable[str]], Awaitable[list[Product | None]]] = Hook("product_nodes")
bought_together_of: Hook[[Info, int, int | None], Awaitable[list[BoughtTogether]]] = Hook(
    "bought_together_of"
)


@strawberry.type(description="A product (SKU) of the chain's catalogue.")
class Product(relay.Node):
    id: relay.NodeID[int]
    sku: str = strawberry.field(description="Stock-keeping unit, usually the barcode.")
    name: str = strawberry.field(description="Product name.")
    category_path: str = strawberry.field(description="Category path, e.g. 生鲜/水果.")
    brand: str = strawberry.field(description="Brand, empty when unbranded.")
    price_fen: int = strawberry.field(description="Shelf price in fen (1 yuan = 100 fen).")
    excluded_from_points: bool = strawberry.field(description="Earns no points when true.")

    @strawberry.field(
        description="Products most often bought with this one, best lift first (1-100, "
        "`first`); the rules' figures are for staff."
    )
    async def bought_together(
        self, info: strawberry.Info, first: int | None = 10
    ) -> list[Annotated[BoughtTogether, strawberry.lazy("schema.feeds.types")]]:
        return await bought_together_of(info, self.id, first)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Product | None]:
        return await product_nodes(info, node_ids)


@strawberry.type(description="A page of products.")
class ProductConnection(relay.Connection[Product]):
    pass


@strawberry.input(description="A product, matched by SKU.")
class ProductInput:
    sku: str
    name: str
    category_path: str = strawberry.field(description="e.g. 生鲜/水果/苹果.")
    price_fen: int
    brand: str = ""
    excluded_from_points: bool = False


@strawberry.type(description="Products written.")
class ProductUpsertSuccess:
    created: int
    updated: int


ProductUpsertResult = Annotated[
    ProductUpsertSuccess | ProductRowError | InvalidInputError,
    strawberry.union("ProductUpsertResult"),
]
