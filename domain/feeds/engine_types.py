"""The engine's data: purchases in, the global model out, the tuning parameters. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from domain.feeds.model import PopularityScope

if TYPE_CHECKING:
    from domain.config import Settings

# Popularity: a buyer's weight halves every this many days since they last bought.
POPULARITY_HALF_LIFE_DAYS = 60.0
# Popular products kept per scope (store, region, chain).
POPULAR_PER_SCOPE = 100
# Item neighbours need at least this many members who bought both.
MIN_CO_BUYERS = 2
# Product pairs the trainer keeps counting (each of its two pair matrices, ~8 bytes a
# pair): beyond it the rarest pairs are forgotten (lossy counting), so memory stays bounded
# whatever the number of members. 20,000 products have at most 200 million pairs.
PAIR_BUDGET = 25_000_000
# Seasonal: the window after today's day of the year.
SEASON_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Purchases:
    """Columnar order lines; a basket is (member, day)."""

    member: np.ndarray  # int64 member ids
    day: np.ndarray  # int32 date ordinals (Asia/Shanghai business day)
    item: np.ndarray  # int32 product ids
    store: np.ndarray | None = None  # int32 store ids (popularity near you)

    def __len__(self) -> int:
        return int(self.member.shape[0])

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, date | int, int, int | None]]) -> Purchases:
        members: list[int] = []
        days: list[int] = []
        items: list[int] = []
        stores: list[int] = []
        any_store = False
        for member, day, item, store in rows:
            members.append(member)
            days.append(day.toordinal() if isinstance(day, date) else int(day))
            items.append(item)
            if store is None:
                stores.append(-1)
            else:
                any_store = True
                stores.append(store)
        return cls(
            member=np.asarray(members, dtype=np.int64),
            day=np.asarray(days, dtype=np.int32),
            item=np.asarray(items, dtype=np.int32),
            store=np.asarray(stores, dtype=np.int32) if any_store else None,
        )

    def take(self, mask_or_index: np.ndarray | slice) -> Purchases:
        """The lines selected by a boolean mask or an index array."""
        return Purchases(
            member=self.member[mask_or_index],
            day=self.day[mask_or_index],
            item=self.item[mask_or_index],
            store=None if self.store is None else self.store[mask_or_index],
        )


@dataclass(frozen=True)
class EngineParams:
    neighbours_per_item: int = 20
    min_support: float = 0.0005
    min_confidence: float = 0.05
    replenish_share: float = 0.8
    replenish_min_purchases: int = 3
    bought_hold_days: int = 30
    new_product_days: int = 30
    candidates_per_member: int = 60

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineParams:
        return cls(
            neighbours_per_item=settings.feed_neighbours_per_item,
            min_support=settings.feed_rule_min_support,
            min_confidence=settings.feed_rule_min_confidence,
            replenish_share=settings.feed_replenish_share,
            replenish_min_purchases=settings.feed_replenish_min_purchases,
            bought_hold_days=settings.feed_bought_hold_days,
            new_product_days=settings.feed_new_product_days,
            candidates_per_member=settings.feed_candidates_per_member,
        )


@dataclass
class Rule:
    """antecedent -> consequent: support = baskets with both / all baskets, confidence =
    baskets with both / baskets with the antecedent, lift = confidence / consequent share."""

    antecedent: int
    consequent: int
    baskets: int
    support: float
    confidence: float
    lift: float


@dataclass
class ProductStat:
    first_sold_on: date | None
    seasonal_lift: float = 1.0
    replenishable: bool = False
    median_gap_days: float | None = None


@dataclass
class GlobalModel:
    """What the whole chain's purchases say, also built partially from the read-model
    tables (the order-time refresh loads it for one member's products)."""

    # product -> (neighbour, cosine score, members who bought both), best first
    neighbours: dict[int, list[tuple[int, float, int]]] = field(default_factory=dict)
    # antecedent -> rules, best lift first
    rules: dict[int, list[Rule]] = field(default_factory=dict)
    # (scope, store/region id; CHAIN: 0) -> (product, buyers, recency-weighted score), best first
    popularity: dict[tuple[PopularityScope, int], list[tuple[int, int, float]]] = field(
        default_factory=dict
    )
    stats: dict[int, ProductStat] = field(default_factory=dict)
    baskets: int = 0
