"""Points resolvers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, TypeVar

import strawberry

from domain.coupons.model import odds_permille
from domain.members.services import MemberView
from domain.points import rules, services
from domain.points.model import ABSENT, Absent, Kind, RulesChange
from domain.points.rules import CampaignInput
from resolvers.common import attempt, connection, guarded
from resolvers.members import member_pk
from resolvers.nodes import visible_nodes
from schema.context import Info
from schema.members import types as member_types
from schema.points import types as t
from schema.relay import decode_cursor, page_size

T = TypeVar("T")


def to_points(s: services.PointsSummary, v: MemberView) -> t.Points:
    return t.Points(
        balance=s.balance,
        pending=s.pending,
        debt=s.debt,
        available_soon=[t.PointsUpcoming(points=u.points, at=u.at) for u in s.available_soon],
        view=v,
        live_lots=s.live_lots,
    )


@member_types.points_of.install
async def points_of(info: Info, v: MemberView) -> t.Points:
    return to_points(await info.context.loaders.points.load(v), v)


@t.expiring.install
async def expiring(v: MemberView, days: int, lots: list[dict] | None) -> list[t.PointsUpcoming]:
    rows = await services.expiring(v, days, lots)
    return [t.PointsUpcoming(points=u.points, at=u.at, last_usable_day=u.last_day) for u in rows]


@t.history.install
async def history(
    info: Info, v: MemberView, first: int | None, after: str | None, kind: Kind | None
) -> t.LedgerEntryConnection:
    rows, more = await services.history(
        v,
        after_id=decode_cursor("ledger", after),
        limit=page_size(first, info.context.rt.settings.gql_page_max),
        kind=kind.value if kind else None,
    )
    return connection(t.LedgerEntryConnection, "ledger", rows, more, after, _entry)


def _entry(r: services.EntryRow) -> t.LedgerEntry:
    return t.LedgerEntry(
        id=r.id,
        kind=Kind(r.kind),
        points=r.points,
        reason=r.reason,
        breakdown=r.breakdown,
        order_external_id=r.order_external_id,
        created_at=r.created_at,
        expires_at=r.expires_at,
        last_usable_day=r.last_day,
    )


async def points_adjust(info: Info, member_id: strawberry.ID, points: int, reason: str):
    ctx = info.context
    return await guarded(
        lambda: services.adjust(ctx.rt, ctx.viewer, member_pk(member_id), points, reason),
        lambda pair: to_points(*pair),
    )


async def reward_redeem(info: Info, reward_code: str, request_id: str, quantity: int = 1):
    ctx = info.context
    return await attempt(
        services.redeem_reward(ctx.rt, ctx.viewer, reward_code, quantity, request_id),
        lambda r: t.RewardRedeemSuccess(
            reward_code=r.reward_code,
            quantity=r.quantity,
            points=r.points,
            replayed=r.replayed,
            outcomes=[t.RewardOutcome(prize=p, coupon_code=c or None) for p, c in r.outcomes],
        ),
    )


def _reward(r) -> t.Reward:
    return t.Reward(
        id=r.id,
        code=r.code,
        name=r.name,
        kind=r.kind,
        points_cost=r.points_cost,
        stock=r.stock,
        per_member_limit=r.per_member_limit,
        tiers=list(r.tiers),
        prizes=_odds(r),
    )


async def rewards(info: Info) -> list[t.Reward]:
    return [_reward(r) for r in await services.active_rewards(info.context.viewer)]


async def reward_upsert(info: Info, input: t.RewardInput):
    r = services.RewardIn(
        code=input.code,
        name=input.name,
        kind=input.kind.strip().upper(),
        points_cost=input.points_cost,
        stock=input.stock,
        per_member_limit=input.per_member_limit,
        coupon_template_code=input.coupon_template_code,
        tiers=list(input.tiers),
        prizes=tuple(
            services.Prize(p.name, p.weight, p.coupon_template_code or "") for p in input.prizes
        ),
        active=input.active,
    )
    return await attempt(services.upsert_reward(info.context.viewer, r), _reward)


def _odds(r) -> list[t.LotteryPrize]:
    if r.kind != "LOTTERY":
        return []
    return [
        t.LotteryPrize(name=name, chance_permille=permille)
        for name, permille in odds_permille(services.lottery_prizes(r))
    ]


def _rules(r) -> t.EarnRules:
    return t.EarnRules(
        points_per_yuan=r.points_per_yuan,
        daily_cap=r.daily_cap,
        excluded_categories=list(r.excluded_categories),
        excluded_skus=list(r.excluded_skus),
    )


async def earn_rules(info: Info) -> t.EarnRules:
    return _rules(await rules.current())


async def earn_rules_update(
    info: Info,
    points_per_yuan: Annotated[
        int | None, strawberry.argument(description="Points per yuan paid, 0-100; not null.")
    ] = strawberry.UNSET,
    daily_cap: Annotated[
        int | None,
        strawberry.argument(description="Most points a member earns a business day; null: none."),
    ] = strawberry.UNSET,
    excluded_categories: Annotated[
        list[str] | None,
        strawberry.argument(description="Category path prefixes that earn nothing; null: none."),
    ] = strawberry.UNSET,
    excluded_skus: Annotated[
        list[str] | None, strawberry.argument(description="SKUs that earn nothing; null: none.")
    ] = strawberry.UNSET,
):
    change = RulesChange(
        points_per_yuan=_given(points_per_yuan),
        daily_cap=_given(daily_cap),
        excluded_categories=_given(excluded_categories),
        excluded_skus=_given(excluded_skus),
    )
    return await attempt(rules.update(info.context.viewer, change), _rules)


def _given(value: T) -> T | Absent:
    """strawberry's UNSET (the argument was not sent) as the domain's ABSENT."""
    return ABSENT if value is strawberry.UNSET else value


async def points_campaign_create(info: Info, input: t.PointsCampaignInput):
    c = CampaignInput(
        name=input.name,
        multiplier_pct=input.multiplier_pct,
        starts_on=input.starts_on,
        ends_on=input.ends_on,
        weekdays=list(input.weekdays),
    )
    return await attempt(
        rules.create_campaign(info.context.viewer, c),
        _campaign,
    )


def _campaign(row) -> t.PointsCampaign:
    return t.PointsCampaign(
        id=row.id,
        name=row.name,
        multiplier_pct=row.multiplier_pct,
        starts_on=row.starts_on.isoformat(),
        ends_on=row.ends_on.isoformat(),
        weekdays=list(row.weekdays),
    )


@t.entry_nodes.install
async def entry_nodes(info: Info, node_ids: Iterable[str]) -> list[t.LedgerEntry | None]:
    return await visible_nodes(
        info, "LedgerEntry", node_ids, services.entries_by_ids, _entry, lambda r: r.member_id
    )


@t.reward_nodes.install
async def reward_nodes(info: Info, node_ids: Iterable[str]) -> list[t.Reward | None]:
    async def fetch(ids: list[int]) -> dict:  # what the ``rewards`` field shows this caller
        offered = await services.active_rewards(info.context.viewer)
        return {r.id: r for r in offered if r.id in ids}

    return await visible_nodes(info, "Reward", node_ids, fetch, _reward)


@t.campaign_nodes.install
async def campaign_nodes(info: Info, node_ids: Iterable[str]) -> list[t.PointsCampaign | None]:
    return await visible_nodes(info, "PointsCampaign", node_ids, rules.campaigns_by_ids, _campaign)
