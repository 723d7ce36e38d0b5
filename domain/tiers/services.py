"""Tier use cases: the ladder, a member's measure and progress, upgrades on events,
staff overrides. Downgrades happen only in the review (``domain.tiers.batch``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain import clock
from domain.audit import services as audit
from domain.auth.model import Principal
from domain.config import Settings
from domain.db import in_transaction
from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import outbox
from domain.members import store as members
from domain.members.scope import get_visible
from domain.members.services import MemberView
from domain.tiers import store
from domain.tiers.model import TOPIC_TIER_CHANGED as TOPIC_TIER_CHANGED  # re-export
from domain.tiers.model import (
    ChangeReason,
    Progress,
    Rung,
    TierChanged,
    is_base,
    progress,
    qualifying,
    upgrade_due,
)

if TYPE_CHECKING:
    from domain.members.tables import Member
    from domain.tiers.tables import Tier, TierHistory

WINDOW = timedelta(days=365)  # the rolling qualifying window


async def ladder(settings: Settings) -> list[Rung]:
    return rungs_of(settings, await tier_rows())


@dataclass(frozen=True)
class TierRow:
    """A tier as member home shows it (read in one plain query, no model building)."""

    id: int
    code: str
    name: str
    rank: int
    threshold_fen: int
    threshold_points: int
    points_multiplier_pct: int
    benefits: dict


async def all_tiers() -> list[Tier]:
    """Every rung, lowest first (the ``tiers`` query)."""
    return await store.all_tiers()


async def tier_rows() -> list[TierRow]:
    """Every tier in rank order."""
    return [TierRow(**r) for r in await store.tier_rows()]


def rungs_of(settings: Settings, tiers: list[TierRow]) -> list[Rung]:
    """The ladder from the tier rows in rank order, with the measure the settings use."""
    points = settings.tier_measure == "points"
    return [
        Rung(t.id, t.code, t.name, t.rank, t.threshold_points if points else t.threshold_fen)
        for t in tiers
    ]


async def measure_of(settings: Settings, member_id: int, now: datetime) -> int:
    """Qualifying spend (fen, net of refunds) or points earned in the last 12 months."""
    return await store.measure(settings.tier_measure, member_id, clock.utc(now - WINDOW))


async def _change(
    member: Member,
    current: Tier | None,
    target: Rung,
    reason: ChangeReason,
    measure: int,
    now: datetime,
    review_at: datetime,
    base: bool,
    detail: str = "",
) -> TierHistory:
    """Move ``member`` to ``target``: member row, state, history and the event, in the
    caller's transaction. ``base``: ``target`` is the lowest rung (no review to tell of)."""
    await members.set_tier(member.id, target.id)
    await store.start_state(member.id, now, review_at)
    row = await store.add_history(
        member_id=member.id,
        from_tier_id=current.id if current else None,
        to_tier_id=target.id,
        reason=reason.value,
        measure=measure,
        detail=detail[:255],
        created_at=now,
    )
    event = TierChanged(
        member_id=member.id,
        history_id=row.id,
        from_code=current.code if current else None,
        to_code=target.code,
        reason=reason,
        review_at=None if base else review_at,
    )
    await outbox.record(event.topic, event.payload())
    return row


async def recompute(settings: Settings, member_id: int) -> TierHistory | None:
    """After an order, refund or merge: upgrade at once if the measure reaches a higher
    rung; never down (that waits for the review). Delivered twice, it changes nothing
    the second time (the member row is locked and re-read)."""
    rungs = await ladder(settings)
    if not rungs:
        return None
    now = clock.now()
    async with in_transaction():
        member = await members.lock_or_none(member_id)
        if member is None or member.status != "ACTIVE":
            return None
        current = await store.get_or_none(member.tier_id)
        state = await store.state_of(member_id)
        overridden = bool(state and state.override_until and state.override_until > now)
        measure = await measure_of(settings, member_id, now)
        target = qualifying(rungs, measure)
        if current is None and target.rank == rungs[0].rank:  # first placement: no news
            await members.set_tier(member_id, target.id)
            if state is None:
                await store.add_state(
                    member_id, now, now + timedelta(days=settings.tier_review_days)
                )
            return None
        if not upgrade_due(current.rank if current else None, target.rank, overridden):
            return None
        review = now + timedelta(days=settings.tier_review_days)
        return await _change(
            member, current, target, ChangeReason.UPGRADE, measure, now, review, base=False
        )


@dataclass(frozen=True)
class HistoryRow:
    from_code: str | None
    to_code: str
    reason: str
    measure: int
    detail: str
    created_at: datetime


async def override(
    settings: Settings,
    viewer: Principal,
    member_id: int,
    tier_code: str,
    until: datetime,
    reason: str,
) -> HistoryRow:
    """An admin puts a member on a tier until ``until``; the review then takes over.
    Returns the history entry, with the tier the member was on before."""
    reason = " ".join((reason or "").split())
    if len(reason) < 4:
        raise InvalidInput("Give the reason for the override.", field="reason")
    now = clock.now()
    until = clock.utc_input(until, "until")
    if not now < until <= now + timedelta(days=3 * 365):
        raise InvalidInput("The override ends in the future, within 3 years.", field="until")
    tier = await store.by_code(tier_code)
    if tier is None:
        raise NotFound(f"No tier {tier_code!r}.", field="tierCode")
    rung = Rung(tier.id, tier.code, tier.name, tier.rank, tier.threshold_fen)
    base = is_base(await ladder(settings), rung)
    async with in_transaction():
        member = await get_visible(settings, viewer, member_id)
        member = await members.lock(member.id)
        current = await store.get_or_none(member.tier_id)
        measure = await measure_of(settings, member.id, now)
        row = await _change(
            member, current, rung, ChangeReason.OVERRIDE, measure, now, until, base, reason
        )
        await store.set_override_until(member.id, until)
        await audit.record(
            viewer,
            "tier.override",
            "member",
            member.id,
            tier=tier.code,
            until=until.isoformat(),
            reason=reason,
        )
    return HistoryRow(
        current.code if current else None,
        tier.code,
        row.reason,
        row.measure,
        row.detail,
        row.created_at,
    )


async def upsert_rung(
    viewer: Principal,
    *,
    code: str,
    name: str,
    rank: int,
    threshold_fen: int,
    threshold_points: int,
    points_multiplier_pct: int,
    benefits: object,
) -> Tier:
    """Create or change a rung (admins). Thresholds must rise with the rank."""
    code = code.strip().upper()
    if not code or len(code) > 16 or not name.strip() or len(name) > 32:
        raise InvalidInput("code is 1-16 characters and name 1-32.", field="code")
    if rank < 0 or threshold_fen < 0 or threshold_points < 0:
        raise InvalidInput("rank and thresholds cannot be negative.", field="rank")
    if not 100 <= points_multiplier_pct <= 1000:
        raise InvalidInput("The multiplier is 100-1000%.", field="pointsMultiplierPct")
    if not isinstance(benefits, dict):
        raise InvalidInput("benefits is a JSON object.", field="benefits")
    unknown = set(benefits) - set(BENEFITS)
    if unknown:
        raise InvalidInput(f"Unknown benefits {sorted(unknown)}.", field="benefits")
    for key, value in benefits.items():
        kind = BENEFITS[key]
        if not isinstance(value, kind) or (
            kind is int and (isinstance(value, bool) or (isinstance(value, int) and value < 0))
        ):
            raise InvalidInput(f"{key} is {BENEFIT_KINDS[kind]}.", field="benefits")
    others = await store.tiers_except(code)
    if any(t.rank == rank for t in others):
        raise Conflict(f"Another tier has rank {rank}.")
    for t in others:
        if (t.rank < rank and t.threshold_fen > threshold_fen) or (
            t.rank > rank and t.threshold_fen < threshold_fen
        ):
            raise InvalidInput("Thresholds must rise with the rank.", field="thresholdFen")
    values = {
        "name": name.strip(),
        "rank": rank,
        "threshold_fen": threshold_fen,
        "threshold_points": threshold_points,
        "points_multiplier_pct": points_multiplier_pct,
        "benefits": benefits,
    }
    async with in_transaction():
        row = await store.upsert_tier(code, values)
        await audit.record(viewer, "tier.upsert", "tier", row.id, code=code, **values)
    return row


# Each benefit with the JSON type its value must have (read by jobs: a wrong type would
# crash them long after the upsert).
BENEFITS: dict[str, type] = {
    "birthdayCouponTemplate": str,
    "birthdayCouponValueFen": int,
    "freeReturns": bool,
    "priorityDelivery": bool,
    "earlyAccess": bool,
    "memberPrices": bool,
}
BENEFIT_KINDS = {str: "a string", int: "a whole number of fen, 0 or more", bool: "true or false"}


# --- many members at once (a staff list: the same statements for 5 members or 50) ---------


async def progress_many(
    settings: Settings, members: list[MemberView], tiers: list[TierRow] | None = None
) -> dict[int, Progress | None]:
    """Where each member stands; ``tiers`` (in rank order) when the caller has them."""
    rungs = rungs_of(settings, tiers) if tiers is not None else await ladder(settings)
    if not rungs:
        return {m.id: None for m in members}
    ids = [m.id for m in members]
    by_id = {r.id: r for r in rungs}
    review_at = await store.review_at_of(ids)
    since = clock.utc(clock.now() - WINDOW)
    measures = await store.measures_of(settings.tier_measure, ids, since)
    return {
        m.id: progress(
            rungs, by_id.get(m.tier_id or 0) or rungs[0], measures.get(m.id, 0), review_at.get(m.id)
        )
        for m in members
    }


HISTORY_LIMIT = 50  # changes shown per member, newest first


async def history_many(member_ids: list[int]) -> dict[int, list[HistoryRow]]:
    """Each member's tier changes, newest first."""
    rows = await store.history_of(member_ids, HISTORY_LIMIT)
    return {
        m: [
            HistoryRow(
                r["from_code"],
                r["to_code"],
                r["reason"],
                r["measure"],
                r["detail"],
                r["created_at"],
            )
            for r in rows.get(m, [])
        ]
        for m in member_ids
    }
