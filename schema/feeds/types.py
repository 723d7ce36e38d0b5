"""Feed types: the member's ranked feed (a connection of a union of items) and the
products bought together with a product."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.members.services import MemberView
from schema.catalog.types import Product
from schema.coupons.types import CouponKind
from schema.feeds.signal_types import FeedKind  # one definition of the enum
from schema.hooks import Hook

if TYPE_CHECKING:
    from schema.context import Info

# Implemented by the resolvers layer, which imports these types (schema/hooks.py).
feed_of: Hook[[Info, MemberView, int | None, str | None], Awaitable[FeedItemConnection]] = Hook(
    "feed_of"
)
score_parts_of: Hook[[Info, dict[str, float]], list[ScorePart] | None] = Hook("score_parts_of")
rule_figure: Hook[[Info, float], float | None] = Hook("rule_figure")


@strawberry.type(description="One named part of an item's score (staff only).")
class ScorePart:
    name: str
    value: float


@strawberry.interface(
    name="FeedEntry", description="What every feed item has, whatever it points at."
)
class FeedEntry:
    id: strawberry.ID = strawberry.field(
        description="Stable: the same item has the same id across calls and rebuilds (give "
        "it to feedItemDismiss and feedEventsRecord)."
    )
    kind: FeedKind
    reason: str = strawberry.field(description="Why it is here, for the app to show (Chinese).")
    parts: strawberry.Private[dict[str, float]]

    @strawberry.field(
        description="The named parts of the item's score: staff only (null for members)."
    )
    def score_parts(self, info: strawberry.Info) -> list[ScorePart] | None:
        return score_parts_of(info, self.parts)


@strawberry.type(description="A product the member may want.")
class ProductSuggestion(FeedEntry):
    product: Product


@strawberry.type(description="A coupon the member can claim now (couponClaim).")
class CouponOffer(FeedEntry):
    template_code: str
    name: str
    coupon_kind: CouponKind
    description: str
    stock_left: int | None = strawberry.field(description="Null: unlimited.")


@strawberry.type(description="A points campaign running today (e.g. member day x2).")
class CampaignItem(FeedEntry):
    name: str
    multiplier_pct: int = strawberry.field(description="200: double points.")
    ends_on: date


@strawberry.type(description="The member's points about to expire.")
class PointsExpiringItem(FeedEntry):
    points: int
    last_usable_day: date = strawberry.field(description="Asia/Shanghai.")
    expires_at: datetime = strawberry.field(description="The instant (UTC) they are gone.")


FeedItem = Annotated[
    ProductSuggestion | CouponOffer | CampaignItem | PointsExpiringItem,
    strawberry.union("FeedItem", description="One item of the member's feed."),
]


@strawberry.type(description="An item of the feed and its cursor.")
class FeedItemEdge:
    node: FeedItem
    cursor: str


@strawberry.type(description="A page of the member's ranked feed, best first.")
class FeedItemConnection:
    edges: list[FeedItemEdge]
    page_info: relay.PageInfo


@strawberry.type(
    description="A product often bought with another one (an association rule). The "
    "rule's figures are for staff (null for members and partners)."
)
class BoughtTogether:
    product: Product
    support_value: strawberry.Private[float]
    confidence_value: strawberry.Private[float]
    lift_value: strawberry.Private[float]

    @strawberry.field(description="Share of all baskets holding both products (staff).")
    def support(self, info: strawberry.Info) -> float | None:
        return rule_figure(info, self.support_value)

    @strawberry.field(description="Share of the baskets with the product that hold this one.")
    def confidence(self, info: strawberry.Info) -> float | None:
        return rule_figure(info, self.confidence_value)

    @strawberry.field(description="Confidence over this product's share of all baskets.")
    def lift(self, info: strawberry.Info) -> float | None:
        return rule_figure(info, self.lift_value)
