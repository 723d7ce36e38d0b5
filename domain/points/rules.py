"""Earning rules and points campaigns: read for every order, edited by marketing staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain import clock
from domain.audit import services as audit
from domain.auth.model import Principal
from domain.db import in_transaction
from domain.errors import InvalidInput
from domain.points.model import Campaign, Rules
from domain.points.tables import EarnRules, PointsCampaign

MAX_MULTIPLIER_PCT = 1000


async def current() -> Rules:
    row = await EarnRules.get_or_none(id=1)
    if row is None:
        return Rules()
    return Rules(
        points_per_yuan=row.points_per_yuan,
        daily_cap=row.daily_cap,
        excluded_categories=tuple(row.excluded_categories),
        excluded_skus=tuple(row.excluded_skus),
    )


async def campaigns_on(day: date) -> list[Campaign]:
    rows = await PointsCampaign.filter(active=True, starts_on__lte=day, ends_on__gte=day).order_by(
        "id"
    )
    return [_campaign(r) for r in rows]


def _campaign(r: PointsCampaign) -> Campaign:
    return Campaign(r.name, r.multiplier_pct, r.starts_on, r.ends_on, tuple(r.weekdays))


async def update(
    viewer: Principal,
    *,
    points_per_yuan: int,
    daily_cap: int | None,
    excluded_categories: list[str],
    excluded_skus: list[str],
) -> Rules:
    if not 0 <= points_per_yuan <= 100:
        raise InvalidInput("Points per yuan must be 0-100.", field="pointsPerYuan")
    if daily_cap is not None and daily_cap < 0:
        raise InvalidInput("The daily cap cannot be negative.", field="dailyCap")
    values = {
        "points_per_yuan": points_per_yuan,
        "daily_cap": daily_cap,
        "excluded_categories": sorted({c.strip() for c in excluded_categories if c.strip()}),
        "excluded_skus": sorted({s.strip() for s in excluded_skus if s.strip()}),
        "updated_at": clock.now(),
        "updated_by": viewer.subject,
    }
    async with in_transaction():
        await EarnRules.update_or_create(id=1, defaults=values)
        await audit.record(viewer, "points.rules_update", "earn_rules", 1, **_loggable(values))
    return await current()


def _loggable(values: dict) -> dict:
    return {k: v for k, v in values.items() if k not in ("updated_at", "updated_by")}


@dataclass(frozen=True)
class CampaignInput:
    name: str
    multiplier_pct: int
    starts_on: date
    ends_on: date
    weekdays: list[int]


async def create_campaign(viewer: Principal, c: CampaignInput) -> PointsCampaign:
    name = " ".join(c.name.split())
    if not name or len(name) > 64:
        raise InvalidInput("Name the campaign (1-64 characters).", field="name")
    if not 100 < c.multiplier_pct <= MAX_MULTIPLIER_PCT:
        raise InvalidInput(f"Multiplier must be 101-{MAX_MULTIPLIER_PCT}%.", field="multiplierPct")
    if c.ends_on < c.starts_on:
        raise InvalidInput("The campaign ends before it starts.", field="endsOn")
    if any(d not in range(1, 8) for d in c.weekdays):
        raise InvalidInput("Weekdays are 1 (Monday) to 7 (Sunday).", field="weekdays")
    async with in_transaction():
        row = await PointsCampaign.create(
            name=name,
            multiplier_pct=c.multiplier_pct,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            weekdays=sorted(set(c.weekdays)),
            created_at=clock.now(),
        )
        await audit.record(viewer, "points.campaign_create", "points_campaign", row.id, name=name)
    return row


async def campaigns_by_ids(ids: list[int]) -> dict[int, PointsCampaign]:
    return {r.id: r for r in await PointsCampaign.filter(id__in=ids)}
