"""The per-request context every resolver sees, and its DataLoaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from domain.auth.model import Principal
from domain.config import Settings
from domain.coupons import issuing as coupons
from domain.coupons.tables import CouponTemplate
from domain.members import cards, identities
from domain.members import consents as member_consents
from domain.members import store as members
from domain.members.services import MemberView
from domain.org import store as org
from domain.org.tables import Region, Store
from domain.points import services as points
from domain.runtime import Runtime
from domain.tiers import services as tiers
from domain.tiers.model import Progress

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


class Loaders:
    """One loader per relation, per request, made when first used: each reads its relation
    for every member the request shows in one batch (the same statements for a list of 5
    members or 50)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._ladder: asyncio.Future[list[tiers.TierRow]] | None = None

    @cached_property
    def card(self) -> DataLoader[MemberView, cards.CardView | None]:
        return by_members(cards.cards_of)

    @cached_property
    def identities(self) -> DataLoader[MemberView, list[identities.IdentityView]]:
        return by_members(identities.identities_of)

    @cached_property
    def tags(self) -> DataLoader[MemberView, list[str]]:
        return by_member(members.tags_by_member)

    @cached_property
    def consents(self) -> DataLoader[MemberView, list[member_consents.ConsentView]]:
        return by_member(member_consents.consents_of_many)

    @cached_property
    def points(self) -> DataLoader[MemberView, points.PointsSummary]:
        return by_member(points.summaries)

    @cached_property
    def tier_progress(self) -> DataLoader[MemberView, Progress | None]:
        return by_members(self._progress)

    @cached_property
    def tier_history(self) -> DataLoader[MemberView, list[tiers.HistoryRow]]:
        return by_member(tiers.history_many)

    @cached_property
    def claimable_coupons(self) -> DataLoader[MemberView, list[CouponTemplate]]:
        return by_member(coupons.claimable_many)

    @cached_property
    def stores(self) -> DataLoader[int, Store | None]:
        return by_id(org.stores_by_ids)

    @cached_property
    def regions(self) -> DataLoader[int, Region | None]:
        return by_id(org.regions_by_ids)

    async def ladder(self) -> list[tiers.TierRow]:
        """Every tier in rank order, read once per request (tier, tierProgress share it)."""
        if self._ladder is None:
            self._ladder = asyncio.ensure_future(tiers.tier_rows())
        return await self._ladder

    async def _progress(self, views: list[MemberView]) -> list[Progress | None]:
        found = await tiers.progress_many(self.settings, views, await self.ladder())
        return [found[v.id] for v in views]


@dataclass
class Context:
    viewer: Principal
    rt: Runtime
    client_ip: str
    publish: Callable[[], None] = lambda: None  # hand recorded events to the queue
    request: Any = None
    response: Any = None
    loaders: Loaders = field(init=False)  # per request: one batch per relation

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.rt.settings)


Info = StrawberryInfo[Context, None]
