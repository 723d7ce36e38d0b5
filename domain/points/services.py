"""Points use cases: what a member has, their history, staff adjustments, rewards."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from domain import clock
from domain.audit import services as audit
from domain.auth import policy
from domain.auth.model import Principal, PrincipalKind
from domain.coupons import issuing as coupons
from domain.coupons.model import Prize, check_prizes, draw
from domain.coupons.templates import template_by_code
from domain.db import IntegrityError, in_transaction
from domain.errors import (
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RewardUnavailable,
)
from domain.members import store as member_store
from domain.members.model import refuse_frozen
from domain.members.scope import get_visible
from domain.members.services import MemberView, get
from domain.points import ledger, store, transfer  # noqa: F401 - transfer registers the merge step
from domain.points.model import Kind, last_usable_day, lot_expiry
from domain.points.store import live_lots
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.members.tables import Member
    from domain.points.tables import Reward, RewardRedemption


@dataclass(frozen=True)
class Upcoming:
    points: int
    at: datetime
    last_day: date | None = None  # for expiring points: the last day they can be used


@dataclass(frozen=True)
class PointsSummary:
    member_id: int
    balance: int
    pending: int
    debt: int
    available_soon: list[Upcoming]  # pending lots, by when they become spendable
    live_lots: list[dict]  # every lot with points left (LIVE_LOTS rows), for ``expiring``


async def summary(member: MemberView) -> PointsSummary:
    account = await store.account_row(member.id)
    lots = await live_lots(member.id)
    return _summary(member.id, account[0] if account else None, lots)


def _summary(member_id: int, account: dict | None, lots: list[dict]) -> PointsSummary:
    acct = account or {"balance": 0, "pending": 0, "debt": 0}
    return PointsSummary(
        member_id=member_id,
        balance=acct["balance"],
        pending=acct["pending"],
        debt=acct["debt"],
        available_soon=[
            Upcoming(lot["remaining"], lot["available_at"])
            for lot in lots
            if lot["released_at"] is None
        ],
        live_lots=lots,
    )


async def expiring(member: MemberView, days: int, lots: list[dict] | None = None) -> list[Upcoming]:
    """Spendable points that expire within ``days``, grouped by expiry time, soonest
    first; from ``lots`` (the summary's ``live_lots``) when given."""
    if not 1 <= days <= 3660:
        raise InvalidInput("days must be 1-3660.", field="days")
    until = clock.utc(clock.now() + timedelta(days=days))
    if lots is None:
        lots = await live_lots(member.id)
    by_time: dict[datetime, int] = {}
    for lot in sorted(lots, key=lambda lot: lot["expires_at"]):
        if lot["released_at"] is not None and lot["expires_at"] <= until:
            by_time[lot["expires_at"]] = by_time.get(lot["expires_at"], 0) + lot["remaining"]
    return [Upcoming(points, at, last_usable_day(at)) for at, points in by_time.items()]


@dataclass(frozen=True)
class EntryRow:
    id: int
    member_id: int
    kind: str
    points: int
    reason: str
    breakdown: dict
    order_external_id: str | None
    created_at: datetime
    expires_at: datetime | None

    @property
    def last_day(self) -> date | None:
        """The last day the lot's points can be used (for credits and expiries)."""
        return last_usable_day(self.expires_at) if self.expires_at else None


async def history(
    member: MemberView, *, after_id: int | None, limit: int, kind: str | None
) -> tuple[list[EntryRow], bool]:
    """Ledger entries, newest first (keyset by id)."""
    rows = await store.entries_page(member.id, after_id=after_id, limit=limit + 1, kind=kind)
    return [EntryRow(**r) for r in rows[:limit]], len(rows) > limit


async def entries_by_ids(ids: list[int]) -> dict[int, EntryRow]:
    """Ledger entries by id (for ``node``; the caller applies member scope)."""
    rows = await store.entries_by_ids(ids)
    return {r["id"]: EntryRow(**r) for r in rows}


async def adjust(
    rt: Runtime, viewer: Principal, member_id: int, points: int, reason: str
) -> tuple[PointsSummary, MemberView]:
    """A staff correction, with a mandatory reason; audited with the entry."""
    if not policy.ADJUST_POINTS.allows(viewer):
        raise PermissionDenied("Only an admin or a service agent can adjust points.")
    reason = " ".join((reason or "").split())
    if len(reason) < 4:
        raise InvalidInput("Give the reason for the adjustment.", field="reason")
    if points == 0 or abs(points) > 1_000_000:
        raise InvalidInput("Adjust by 1 to 1,000,000 points, up or down.", field="points")
    async with in_transaction():
        member = await get_visible(rt.settings, viewer, member_id)
        acct = await ledger.lock(member.id)
        text = f"人工调整：{reason}"
        if points > 0:
            now = clock.now()
            entry = await ledger.credit(
                acct,
                Kind.ADJUST,
                points,
                text,
                available_at=now,
                expires_at=lot_expiry(now, rt.settings.points_expiry_extra_years),
                actor=viewer.subject,
            )
        else:
            entry = await ledger.debit(acct, Kind.ADJUST, -points, text, actor=viewer.subject)
        await audit.record(
            viewer,
            "points.adjust",
            "member",
            member.id,
            points=points,
            reason=reason,
            entry=entry.id,
        )
    view = await get(rt, viewer, member_id)
    return await summary(view), view


# --- rewards --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redeemed:
    redemption_id: int
    reward_code: str
    quantity: int
    points: int
    replayed: bool
    outcomes: tuple[tuple[str, str], ...] = ()  # (prize or coupon name, coupon code or "")


def _redeemed(row: RewardRedemption, code: str, replayed: bool) -> Redeemed:
    outcomes = tuple((o["prize"], o.get("couponCode") or "") for o in row.outcomes)
    return Redeemed(row.id, code, row.quantity, row.points, replayed, outcomes)


async def redeem_reward(
    rt: Runtime, viewer: Principal, reward_code: str, quantity: int, request_id: str
) -> Redeemed:
    """A member exchanges points for a reward: goods, coupons, or lottery draws.
    ``request_id`` (from the app) makes a retry answer with the first result; stock and
    the member's limit are checked on locked rows, so concurrent redemptions never
    oversell or overspend. Any refusal (a coupon limit too) gives every point back."""
    if not policy.REDEEM_REWARDS.allows(viewer):
        raise PermissionDenied("Only a member redeems rewards.")
    if not 1 <= quantity <= 10:
        raise InvalidInput("Redeem 1 to 10 at a time.", field="quantity")
    request_id = (request_id or "").strip()
    if not request_id or len(request_id) > 64:
        raise InvalidInput("requestId is 1-64 characters.", field="requestId")
    member_id = viewer.id or 0
    async with in_transaction():
        acct = await ledger.lock(member_id)  # serialises this member's redemptions
        seen = await store.redemption_of_request(member_id, request_id)
        if seen is not None:
            if seen.reward.code != reward_code or seen.quantity != quantity:
                raise IdempotencyConflict(field="requestId")
            return _redeemed(seen, reward_code, replayed=True)
        reward = await store.active_reward(reward_code)
        if reward is None:
            raise NotFound("No such reward.", field="rewardCode")
        member = await member_store.lock(member_id)
        refuse_frozen(member.status)  # no spending while frozen
        if reward.tiers and await coupons.tier_code(member) not in reward.tiers:
            raise RewardUnavailable(f"For tiers {', '.join(reward.tiers)} only.")
        if reward.per_member_limit is not None:
            taken = await store.redemptions_of(member_id, reward.id)
            if sum(r.quantity for r in taken) + quantity > reward.per_member_limit:
                raise RewardUnavailable(f"At most {reward.per_member_limit} per member.")
        if reward.stock is not None:
            won = await store.take_reward_stock(reward.id, quantity)
            if not won:
                raise RewardUnavailable("Out of stock.")
        cost = reward.points_cost * quantity
        entry = await ledger.debit(
            acct, Kind.REDEEM, cost, f"兑换 {reward.name} x{quantity}", actor=viewer.subject
        )
        try:
            async with in_transaction():
                row = await store.add_redemption(
                    reward_id=reward.id,
                    member_id=member_id,
                    request_id=request_id,
                    quantity=quantity,
                    points=cost,
                    entry_id=entry.id,
                    created_at=clock.now(),
                )
        except IntegrityError:  # cannot happen under the account lock; refuse loudly
            raise InvalidInput("This requestId was just used.", field="requestId") from None
        row.outcomes = await _deliver(reward, member, row)
        await store.save_outcomes(row)
    return _redeemed(row, reward.code, replayed=False)


async def _deliver(reward: Reward, member: Member, row: RewardRedemption) -> list[dict]:
    """What the member gets: coupons of the reward's template, or one draw per unit."""
    out: list[dict] = []
    for i in range(row.quantity):
        if reward.kind == "COUPON":
            name, template = reward.name, reward.coupon_template_code or ""
        elif reward.kind == "LOTTERY":
            prizes = lottery_prizes(reward)
            prize = draw(prizes, secrets.randbelow(sum(p.weight for p in prizes)))
            name, template = prize.name, prize.coupon_template
        else:
            name, template = reward.name, ""
        code = ""
        if template:
            got = await coupons.issue_locked(
                await template_by_code(template),
                member,
                source="REWARD",
                source_ref=f"reward:{row.id}:{i}",
            )
            if isinstance(got, str):  # rolls the whole redemption back, points included
                raise RewardUnavailable(coupons.CLAIM_MESSAGES.get(got, got))
            code = got.code
        out.append({"prize": name, "couponCode": code})
    return out


def lottery_prizes(reward: Reward) -> tuple[Prize, ...]:
    return tuple(
        Prize(p["name"], int(p["weight"]), p.get("couponTemplate") or "") for p in reward.prizes
    )


@dataclass(frozen=True)
class RewardIn:
    code: str
    name: str
    kind: str
    points_cost: int
    stock: int | None
    per_member_limit: int | None
    coupon_template_code: str | None
    tiers: list[str]
    prizes: tuple[Prize, ...]
    active: bool


async def upsert_reward(viewer: Principal, r: RewardIn) -> Reward:
    """Create or replace a reward of the catalogue (marketing staff). Audited."""
    code = r.code.strip().upper()
    if not code or len(code) > 32 or not r.name.strip():
        raise InvalidInput("A reward needs a code (1-32) and a name.", field="code")
    if r.kind not in ("GOODS", "COUPON", "LOTTERY"):
        raise InvalidInput("kind is GOODS, COUPON or LOTTERY.", field="kind")
    if r.points_cost <= 0:
        raise InvalidInput("A reward costs at least one point.", field="pointsCost")
    if (r.stock is not None and r.stock < 0) or (r.per_member_limit or 1) < 1:
        raise InvalidInput("Stock and limits are positive.", field="stock")
    templates = [r.coupon_template_code or ""] if r.kind == "COUPON" else []
    if r.kind == "COUPON" and not r.coupon_template_code:
        raise InvalidInput("A coupon reward names its template.", field="couponTemplateCode")
    if r.kind == "LOTTERY":
        check_prizes(r.prizes)
        templates = [p.coupon_template for p in r.prizes if p.coupon_template]
    for t in templates:
        await template_by_code(t)  # NotFound names the missing one
    values = {
        "name": r.name.strip(),
        "kind": r.kind,
        "points_cost": r.points_cost,
        "stock": r.stock,
        "per_member_limit": r.per_member_limit,
        "coupon_template_code": (r.coupon_template_code or "").upper() or None,
        "tiers": list(r.tiers),
        "prizes": [
            {"name": p.name, "weight": p.weight, "couponTemplate": p.coupon_template.upper()}
            for p in r.prizes
        ],
        "active": r.active,
    }
    async with in_transaction():
        row = await store.upsert_reward(code, values)
        await audit.record(viewer, "reward.upsert", "reward", row.id, code=code, kind=r.kind)
    return row


async def active_rewards(viewer: Principal) -> list[Reward]:
    """The catalogue; a member sees what is offered to their tier."""
    rows = await store.active_rewards()
    if viewer.kind is not PrincipalKind.MEMBER:
        return rows
    tier = await coupons.tier_code(await member_store.get(viewer.id or 0))
    return [r for r in rows if not r.tiers or tier in r.tiers]


async def summaries(member_ids: list[int]) -> dict[int, PointsSummary]:
    """``summary`` of many members in two statements, whatever their number."""
    accounts = await store.accounts_of(member_ids)
    lots = await store.live_lots_of(member_ids)
    return {m: _summary(m, accounts.get(m), lots.get(m, [])) for m in member_ids}
