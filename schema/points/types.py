"""Points types: the member's figures, ledger entries, rewards, earning rules."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from domain.members.services import MemberView
from domain.points import model as m
from schema.hooks import Hook

if TYPE_CHECKING:
    from schema.context import Info

PointsKind = strawberry.enum(m.Kind, name="PointsKind", description="What a ledger entry is.")
RewardKind = strawberry.enum(
    m.RewardKind, name="RewardKind", description="GOODS, COUPON or LOTTERY (a draw)."
)


# Implemented by the resolvers layer, which imports these types (schema/hooks.py).
entry_nodes: Hook[[Info, Iterable[str]], Awaitable[list[LedgerEntry | None]]] = Hook("entry_nodes")
reward_nodes: Hook[[Info, Iterable[str]], Awaitable[list[Reward | None]]] = Hook("reward_nodes")
campaign_nodes: Hook[[Info, Iterable[str]], Awaitable[list[PointsCampaign | None]]] = Hook(
    "campaign_nodes"
)
expiring: Hook[[MemberView, int, list[dict] | None], Awaitable[list[PointsUpcoming]]] = Hook(
    "expiring"
)
history: Hook[
    [Info, MemberView, int | None, str | None, m.Kind | None], Awaitable[LedgerEntryConnection]
] = Hook("history")


@strawberry.type(description="Points that change state at `at` (become spendable / expire).")
class PointsUpcoming:
    points: int
    at: datetime = strawberry.field(
        description="The instant (UTC) of the change: for expiring points, the moment they "
        "are gone (00:00 Asia/Shanghai), so not a day to show; show `lastUsableDay`."
    )
    last_usable_day: date | None = strawberry.field(
        default=None,
        description="Expiring points: the last day (Asia/Shanghai) they can be used, the day "
        "before `at` when it is a midnight. Null for points becoming spendable.",
    )


@strawberry.type(description="One append-only ledger entry.")
class LedgerEntry(relay.Node):
    id: relay.NodeID[int]
    kind: PointsKind
    points: int = strawberry.field(description="Signed: credits positive, debits negative.")
    reason: str = strawberry.field(description="Human-readable, e.g. 订单 … 消费 ¥12.30 积分.")
    breakdown: JSON = strawberry.field(
        description="How the points were computed (rates, multipliers, caps) or which lots."
    )
    order_external_id: str | None
    created_at: datetime
    expires_at: datetime | None = strawberry.field(
        description="For credits (and expiries): the instant (UTC) the lot's points are gone, "
        "00:00 Asia/Shanghai; to show a date, use `lastUsableDay`."
    )
    last_usable_day: date | None = strawberry.field(
        default=None,
        description="The last day (Asia/Shanghai) the lot's points can be used: the day "
        "before `expiresAt` when that is a midnight.",
    )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[LedgerEntry | None]:
        return await entry_nodes(info, node_ids)


@strawberry.type(description="A page of ledger entries, newest first.")
class LedgerEntryConnection(relay.Connection[LedgerEntry]):
    pass


@strawberry.type(description="A reward that members can exchange points for.")
class Reward(relay.Node):
    id: relay.NodeID[int]
    code: str
    name: str
    kind: RewardKind
    points_cost: int
    stock: int | None = strawberry.field(description="Null: unlimited.")
    per_member_limit: int | None
    tiers: list[str] = strawberry.field(description="Offered to these tiers; empty: everyone.")
    prizes: list[LotteryPrize] = strawberry.field(description="LOTTERY: prizes and their odds.")

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Reward | None]:
        return await reward_nodes(info, node_ids)


@strawberry.type(description="A prize of a draw and its published odds.")
class LotteryPrize:
    name: str
    chance_permille: int = strawberry.field(description="Odds in 1/1000, rounded down.")


@strawberry.type(description="What one unit of a redemption gave.")
class RewardOutcome:
    prize: str = strawberry.field(description="The reward or the prize drawn.")
    coupon_code: str | None = strawberry.field(description="When it is a coupon.")


@strawberry.type(description="A reward was redeemed (or, for a retry, had been).")
class RewardRedeemSuccess:
    reward_code: str
    quantity: int
    points: int = strawberry.field(description="Points spent.")
    replayed: bool
    outcomes: list[RewardOutcome] = strawberry.field(description="One per unit redeemed.")


@strawberry.type(description="How points are earned.")
class EarnRules:
    points_per_yuan: int
    daily_cap: int | None
    excluded_categories: list[str]
    excluded_skus: list[str]


@strawberry.type(description="A points multiplier campaign (e.g. member day x2).")
class PointsCampaign(relay.Node):
    id: relay.NodeID[int]
    name: str
    multiplier_pct: int
    starts_on: str
    ends_on: str
    weekdays: list[int]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PointsCampaign | None]:
        return await campaign_nodes(info, node_ids)


@strawberry.type(description="A member's points.")
class Points:
    balance: int = strawberry.field(
        description="Spendable now. Below zero only when REFUND_SHORTFALL_POLICY=negative."
    )
    pending: int = strawberry.field(description="Earned, inside the return window: not spendable.")
    debt: int = strawberry.field(
        description="Refund shortfall to be settled from future points (policy debt)."
    )
    available_soon: list[PointsUpcoming] = strawberry.field(
        description="Pending points by when they become spendable."
    )
    view: strawberry.Private[MemberView]
    live_lots: strawberry.Private[list[dict] | None] = None  # read with the summary

    @strawberry.field(description="Spendable points expiring within `days`, by expiry time.")
    async def expiring(self, days: int = 30) -> list[PointsUpcoming] | None:
        return await expiring(self.view, days, self.live_lots)

    @strawberry.field(description="Ledger entries, newest first; optionally of one kind.")
    async def history(
        self,
        info: strawberry.Info,
        first: int | None = 20,
        after: str | None = None,
        kind: PointsKind | None = None,
    ) -> LedgerEntryConnection | None:
        return await history(info, self.view, first, after, kind)


@strawberry.input(description="A points multiplier campaign.")
class PointsCampaignInput:
    name: str
    multiplier_pct: int = strawberry.field(description="200 = double points (101-1000).")
    starts_on: date
    ends_on: date = strawberry.field(description="Inclusive; business dates (Asia/Shanghai).")
    weekdays: list[int] = strawberry.field(
        default_factory=list, description="1 = Monday … 7 = Sunday; empty: every day."
    )


@strawberry.input(description="A prize of a draw: its odds are weight / total weight.")
class LotteryPrizeInput:
    name: str
    weight: int
    coupon_template_code: str | None = strawberry.field(
        default=None, description="The prize is a coupon of this template."
    )


@strawberry.input(description="A reward of the catalogue (created, or replaced by code).")
class RewardInput:
    code: str
    name: str
    kind: str = strawberry.field(description="GOODS, COUPON or LOTTERY.")
    points_cost: int
    stock: int | None = strawberry.field(default=None, description="Null: unlimited.")
    per_member_limit: int | None = None
    coupon_template_code: str | None = strawberry.field(default=None, description="COUPON.")
    tiers: list[str] = strawberry.field(default_factory=list, description="Empty: everyone.")
    prizes: list[LotteryPrizeInput] = strawberry.field(default_factory=list, description="LOTTERY.")
    active: bool = True
