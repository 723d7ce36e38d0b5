"""Per-request DataLoaders (``info.context.loaders``): one batch per relation per
request, not one query per row. Batch functions call the areas' stores and services,
which read for many ids at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from strawberry.dataloader import DataLoader

from domain.config import Settings
from domain.coupons import issuing as coupons
from domain.feeds import services as feeds
from domain.members import cards, identities
from domain.members import consents as member_consents
from domain.members import store as members
from domain.members.services import MemberView
from domain.org import store as org
from domain.points import services as points
from domain.tiers import services as tiers
from domain.tiers.model import Progress

if TYPE_CHECKING:  # the rows these stores return, by the names the stores give them
    from domain.coupons.store import TemplateRow
    from domain.org.store import RegionRow, StoreRow

V = TypeVar("V")


def _member_id(v: MemberView) -> int:
    return v.id


def by_member(
    fetch: Callable[[list[int]], Awaitable[Mapping[int, V]]],
) -> DataLoader[MemberView, V]:
    """A loader of one relation of members: ``fetch`` reads it for many member ids at once
    (ids -> value by id; every id answered)."""

    async def load(views: list[MemberView]) -> list[V]:
        found = await fetch([v.id for v in views])
        return [found[v.id] for v in views]

    return DataLoader(load_fn=load, cache_key_fn=_member_id)


def by_members(
    fetch: Callable[[list[MemberView]], Awaitable[Sequence[V]]],
) -> DataLoader[MemberView, V]:
    """A loader whose ``fetch`` takes the member views and answers in their order."""

    async def load(views: list[MemberView]) -> Sequence[V]:
        return await fetch(list(views))

    return DataLoader(load_fn=load, cache_key_fn=_member_id)


def by_id(fetch: Callable[[list[int]], Awaitable[Mapping[int, V]]]) -> DataLoader[int, V | None]:
    """A row of a small reference table (store, region) by id (None: no such row)."""

    async def load(ids: list[int]) -> list[V | None]:
        found = await fetch(list(ids))
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


async def _bought_together(keys: list[tuple[int, int]]) -> list[list[feeds.BoughtTogether]]:
    limit = max(n for _pid, n in keys)  # one batch; each key keeps its own count
    found = await feeds.bought_together(sorted({pid for pid, _n in keys}), limit)
    return [found[pid][:n] for pid, n in keys]


@dataclass
class Loaders:
    """One typed loader per relation, per request: each reads its relation for every
    member (or row) the request shows in one batch, through the area's store or service
    (the same statements for a list of 5 members or 50)."""

    settings: Settings
    card: DataLoader[MemberView, cards.CardView | None] = field(
        default_factory=lambda: by_members(cards.cards_of)
    )
    identities: DataLoader[MemberView, list[identities.IdentityView]] = field(
        default_factory=lambda: by_members(identities.identities_of)
    )
    tags: DataLoader[MemberView, list[str]] = field(
        default_factory=lambda: by_member(members.tags_by_member)
    )
    consents: DataLoader[MemberView, list[member_consents.ConsentView]] = field(
        default_factory=lambda: by_member(member_consents.consents_of_many)
    )
    points: DataLoader[MemberView, points.PointsSummary] = field(
        default_factory=lambda: by_member(points.summaries)
    )
    tier_progress: DataLoader[MemberView, Progress | None] = field(init=False)
    tier_history: DataLoader[MemberView, list[tiers.HistoryRow]] = field(
        default_factory=lambda: by_member(tiers.history_many)
    )
    claimable_coupons: DataLoader[MemberView, list[TemplateRow]] = field(
        default_factory=lambda: by_member(coupons.claimable_many)
    )
    stores: DataLoader[int, StoreRow | None] = field(
        default_factory=lambda: by_id(org.stores_by_ids)
    )
    regions: DataLoader[int, RegionRow | None] = field(
        default_factory=lambda: by_id(org.regions_by_ids)
    )
    # (product id, how many): the products bought with it (Product.boughtTogether)
    bought_together: DataLoader[tuple[int, int], list[feeds.BoughtTogether]] = field(
        default_factory=lambda: DataLoader(load_fn=_bought_together)
    )
    _ladder: asyncio.Future[list[tiers.TierRow]] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.tier_progress = by_members(self._progress)

    async def ladder(self) -> list[tiers.TierRow]:
        """Every tier in rank order, read once per request (tier, tierProgress share it)."""
        if self._ladder is None:
            self._ladder = asyncio.ensure_future(tiers.tier_rows())
        return await self._ladder

    async def _progress(self, views: list[MemberView]) -> list[Progress | None]:
        found = await tiers.progress_many(self.settings, views, await self.ladder())
        return [found[v.id] for v in views]
