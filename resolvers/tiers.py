"""Tier resolvers."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.members.services import MemberView
from domain.tiers import services
from resolvers.common import attempt, guarded
from resolvers.members import member_pk
from schema.context import Info
from schema.members import types as member_types
from schema.tiers import types as t


def to_tier(row: services.Tier | services.TierRow) -> t.Tier:
    return t.Tier(
        code=row.code,
        name=row.name,
        rank=row.rank,
        threshold_fen=row.threshold_fen,
        threshold_points=row.threshold_points,
        points_multiplier_pct=row.points_multiplier_pct,
        benefits=row.benefits,
    )


@member_types.tier_of.install
async def tier_of(info: Info, v: MemberView) -> t.Tier | None:
    return _tier(await info.context.loaders.ladder(), v.tier_id)


def _tier(tiers: list[services.TierRow], tier_id: int | None) -> t.Tier | None:
    row = next((row for row in tiers if row.id == tier_id), None)
    return to_tier(row) if row else None


@member_types.progress_of.install
async def progress_of(info: Info, v: MemberView) -> t.TierProgress | None:
    tiers = await info.context.loaders.ladder()
    p = await info.context.loaders.tier_progress.load(v)
    if p is None:
        return None
    return t.TierProgress(
        current=_tier(tiers, p.current.id),
        next=_tier(tiers, p.next.id if p.next else None),
        qualifying_spend_fen=p.measure,
        spend_to_next_fen=p.to_next,
        spend_to_keep_fen=p.to_keep,
        review_at=p.review_at,
    )


def to_entry(h: services.HistoryRow) -> t.TierHistoryEntry:
    return t.TierHistoryEntry(
        from_code=h.from_code,
        to_code=h.to_code,
        reason=h.reason,
        qualifying_measure=h.measure,
        detail=h.detail,
        created_at=h.created_at,
    )


@member_types.history_of.install
async def history_of(info: Info, v: MemberView) -> list[t.TierHistoryEntry]:
    return [to_entry(h) for h in await info.context.loaders.tier_history.load(v)]


async def tiers(info: Info) -> list[t.Tier]:
    return [to_tier(row) for row in await services.all_tiers()]


async def tier_upsert(info: Info, input: t.TierInput):
    return await attempt(
        services.upsert_rung(
            info.context.viewer,
            code=input.code,
            name=input.name,
            rank=input.rank,
            threshold_fen=input.threshold_fen,
            threshold_points=input.threshold_points,
            points_multiplier_pct=input.points_multiplier_pct,
            benefits={} if input.benefits is None else input.benefits,
        ),
        to_tier,
    )


async def tier_override(
    info: Info, member_id: strawberry.ID, tier_code: str, until: datetime, reason: str
):
    ctx = info.context
    return await guarded(
        lambda: services.override(
            ctx.rt.settings, ctx.viewer, member_pk(member_id), tier_code, until, reason
        ),
        to_entry,
    )
