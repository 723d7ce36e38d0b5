"""The feed's vocabulary, shared by the rebuild, the order-time update and serving: item
kinds, the member's read-model document (``MemberModel``) and item keys. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import orjson


class FeedKind(StrEnum):
    BOUGHT_TOGETHER = "BOUGHT_TOGETHER"  # association rules from the member's baskets
    REPLENISH = "REPLENISH"  # running out at home: due by the member's own rhythm
    SIMILAR_MEMBERS = "SIMILAR_MEMBERS"  # item neighbours of what the member buys
    SEASONAL = "SEASONAL"  # sells now more than the rest of the year
    POPULAR_NEAR_YOU = "POPULAR_NEAR_YOU"  # home store, else region, else chain
    NEW_IN_FAVOURITE_CATEGORY = "NEW_IN_FAVOURITE_CATEGORY"
    COUPON = "COUPON"  # a claimable coupon that fits the member
    CAMPAIGN = "CAMPAIGN"  # the member day or points campaign running now
    POINTS_EXPIRING = "POINTS_EXPIRING"


PRODUCT_KINDS = frozenset(
    {
        FeedKind.BOUGHT_TOGETHER,
        FeedKind.REPLENISH,
        FeedKind.SIMILAR_MEMBERS,
        FeedKind.SEASONAL,
        FeedKind.POPULAR_NEAR_YOU,
        FeedKind.NEW_IN_FAVOURITE_CATEGORY,
    }
)
# Kinds that use the member's own purchase history: none of them when personalised is off.
PERSONAL_KINDS = frozenset(
    {
        FeedKind.BOUGHT_TOGETHER,
        FeedKind.REPLENISH,
        FeedKind.SIMILAR_MEMBERS,
        FeedKind.NEW_IN_FAVOURITE_CATEGORY,
    }
)


class DismissReason(StrEnum):
    NOT_INTERESTED = "NOT_INTERESTED"
    ALREADY_BOUGHT = "ALREADY_BOUGHT"
    NOT_RELEVANT = "NOT_RELEVANT"


class FeedEventType(StrEnum):
    IMPRESSION = "IMPRESSION"
    CLICK = "CLICK"
    ADD_TO_CART = "ADD_TO_CART"


class PopularityScope(StrEnum):
    CHAIN = "CHAIN"
    REGION = "REGION"
    STORE = "STORE"


class RebuildStatus(StrEnum):
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class ItemType(StrEnum):
    """What a feed item points at; with its reference it is the item's stable key."""

    PRODUCT = "product"  # ref: product id
    COUPON = "coupon"  # ref: coupon template code
    CAMPAIGN = "campaign"  # ref: points campaign id
    POINTS = "points"  # ref: the last usable day of the expiring points, ISO date


@dataclass(frozen=True)
class ItemKey:
    type: ItemType
    ref: str

    def __str__(self) -> str:
        return f"{self.type.value}:{self.ref}"

    @classmethod
    def parse(cls, text: str) -> ItemKey | None:
        """The key of ``text`` ("product:12"), or None when it names no item type."""
        kind, sep, ref = text.partition(":")
        if not sep or not ref or len(text) > 64:
            return None
        try:
            return cls(ItemType(kind), ref)
        except ValueError:
            return None

    @classmethod
    def product(cls, product_id: int) -> ItemKey:
        return cls(ItemType.PRODUCT, str(product_id))


@dataclass(frozen=True)
class Candidate:
    """A product the member may want, why (kind, the product it goes with), and the score
    parts the ranker summed (named, for staff)."""

    product_id: int
    kind: FeedKind
    score: float
    parts: dict[str, float] = field(default_factory=dict)
    ref_product_id: int | None = None  # BOUGHT_TOGETHER / SIMILAR_MEMBERS: bought with


@dataclass(frozen=True)
class Rhythm:
    """How often the member rebuys a product: median gap over >= 3 purchases."""

    product_id: int
    purchases: int
    median_gap_days: float
    last_day: date


@dataclass
class MemberModel:
    """A member's row of the read model (``feed_members.doc``)."""

    candidates: list[Candidate] = field(default_factory=list)
    rhythms: list[Rhythm] = field(default_factory=list)
    # product id -> last business day bought, for the products bought in the hold window
    # (a bought product that is not replenishable leaves the feed for a while).
    recent: dict[int, date] = field(default_factory=dict)
    favourite_categories: list[str] = field(default_factory=list)  # most bought first

    def dumps(self) -> str:
        return orjson.dumps(
            {
                "c": [
                    [c.product_id, c.kind.value, round(c.score, 6), c.parts, c.ref_product_id]
                    for c in self.candidates
                ],
                "r": [
                    [r.product_id, r.purchases, r.median_gap_days, r.last_day.toordinal()]
                    for r in self.rhythms
                ],
                "b": [[p, d.toordinal()] for p, d in self.recent.items()],
                "f": self.favourite_categories,
            }
        ).decode()

    @classmethod
    def loads(cls, text: str) -> MemberModel:
        d = orjson.loads(text)
        return cls(
            candidates=[Candidate(p, FeedKind(k), s, parts, ref) for p, k, s, parts, ref in d["c"]],
            rhythms=[Rhythm(p, n, g, date.fromordinal(o)) for p, n, g, o in d["r"]],
            recent={p: date.fromordinal(o) for p, o in d["b"]},
            favourite_categories=list(d["f"]),
        )
