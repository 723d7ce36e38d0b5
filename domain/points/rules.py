"""Earning rules and points campaigns: read for every order. Admins change the earning
rules; marketing staff create campaigns (``domain.auth.policy``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from domain import clock
from domain.audit import services as audit
from domain.auth import policy
from domain.auth.model import Principal
from domain.db import in_transaction
from domain.errors import InvalidInput, PermissionDenied
from domain.points import store
from domain.points.model import Campaign, Rules, RulesChange, amend_rules

if TYPE_CHECKING:
    from domain.points.tables import EarnRules, PointsCampaign

MAX_MULTIPLIER_PCT = 1000


async def current() -> Rules:
    row = await store.earn_rules()
    return Rules() if row is None else _rules(row)


def _rules(row: EarnRules) -> Rules:
    return Rules(
        points_per_yuan=row.points_per_yuan,
        daily_cap=row.daily_cap,
        excluded_categories=tuple(row.excluded_categories),
        excluded_skus=tuple(row.excluded_skus),
    )


async def campaigns_on(day: date) -> list[Campaign]:
    rows = await store.campaigns_on(day)
    return [_campaign(r) for r in rows]


def _campaign(r: PointsCampaign) -> Campaign:
    return Campaign(r.name, r.multiplier_pct, r.starts_on, r.ends_on, tuple(r.weekdays))


async def update(viewer: Principal, change: RulesChange) -> Rules:
    """Change only what ``change`` gives (a partial update), on the locked rules row, so
    two partial updates at once both apply. Admins only. Audited with the new rules."""
    if not policy.CHANGE_EARN_RULES.allows(viewer):
        raise PermissionDenied("Only an admin changes the earning rules.")
    amend_rules(Rules(), change)  # refuse bad values before taking the lock
    async with in_transaction():
        row = await store.lock_earn_rules()
        new = amend_rules(_rules(row), change)
        row.points_per_yuan = new.points_per_yuan
        row.daily_cap = new.daily_cap
        row.excluded_categories = list(new.excluded_categories)
        row.excluded_skus = list(new.excluded_skus)
        row.updated_at, row.updated_by = clock.now(), viewer.subject
        await store.save_earn_rules(row)
        await audit.record(
            viewer,
            "points.rules_update",
            "earn_rules",
            1,
            points_per_yuan=new.points_per_yuan,
            daily_cap=new.daily_cap,
            excluded_categories=list(new.excluded_categories),
            excluded_skus=list(new.excluded_skus),
        )
    return new


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
        row = await store.add_campaign(
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
    return await store.campaigns_by_ids(ids)
