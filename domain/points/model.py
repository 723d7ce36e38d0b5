"""Pure points rules: earning, expiry dates, proportional reversal, lot consumption."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum, StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.errors import InsufficientPoints, InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Kind(StrEnum):
    EARN = "EARN"
    REDEEM = "REDEEM"
    EXPIRE = "EXPIRE"
    REVERSE = "REVERSE"
    ADJUST = "ADJUST"
    REBATE = "REBATE"
    TRANSFER_IN = "TRANSFER_IN"
    TRANSFER_OUT = "TRANSFER_OUT"


class RewardKind(StrEnum):
    GOODS = "GOODS"
    COUPON = "COUPON"
    LOTTERY = "LOTTERY"  # a draw


class ShortfallPolicy(StrEnum):
    DEBT = "debt"  # balance stays >= 0; the shortfall is settled from future credits
    NEGATIVE = "negative"  # the balance goes below zero until future credits cover it


# --- earning ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    sku: str
    category_path: str
    quantity: int
    unit_price_fen: int
    discount_fen: int
    excluded_product: bool = False  # the product's own "excluded from points" flag

    @property
    def net_fen(self) -> int:
        return self.quantity * self.unit_price_fen - self.discount_fen


@dataclass(frozen=True)
class Rules:
    points_per_yuan: int = 1
    daily_cap: int | None = None
    excluded_categories: tuple[str, ...] = ()
    excluded_skus: tuple[str, ...] = ()


class Absent(Enum):
    """An argument that was not given (a partial update leaves that field as it is)."""

    ABSENT = "absent"


ABSENT = Absent.ABSENT


@dataclass(frozen=True)
class RulesChange:
    """A partial update of the earning rules: ``ABSENT`` keeps the field, ``None`` clears
    it (no daily cap, no exclusions); the base rate cannot be cleared."""

    points_per_yuan: int | Absent | None = ABSENT
    daily_cap: int | Absent | None = ABSENT
    excluded_categories: Sequence[str] | Absent | None = ABSENT
    excluded_skus: Sequence[str] | Absent | None = ABSENT


def _cleaned(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(sorted({v.strip() for v in values or () if v.strip()}))


def amend_rules(current: Rules, change: RulesChange) -> Rules:
    """``current`` with what ``change`` gives, validated (InvalidInput names the field)."""
    out = current
    if change.points_per_yuan is not ABSENT:
        if change.points_per_yuan is None:
            raise InvalidInput(
                "pointsPerYuan cannot be cleared (null): leave it out to keep it, or give 0-100.",
                field="pointsPerYuan",
            )
        if not 0 <= change.points_per_yuan <= 100:
            raise InvalidInput("Points per yuan must be 0-100.", field="pointsPerYuan")
        out = replace(out, points_per_yuan=change.points_per_yuan)
    if change.daily_cap is not ABSENT:
        if change.daily_cap is not None and change.daily_cap < 0:
            raise InvalidInput("The daily cap cannot be negative.", field="dailyCap")
        out = replace(out, daily_cap=change.daily_cap)
    if change.excluded_categories is not ABSENT:
        out = replace(out, excluded_categories=_cleaned(change.excluded_categories))
    if change.excluded_skus is not ABSENT:
        out = replace(out, excluded_skus=_cleaned(change.excluded_skus))
    return out


@dataclass(frozen=True)
class Campaign:
    name: str
    multiplier_pct: int
    starts_on: date
    ends_on: date
    weekdays: tuple[int, ...] = ()

    def applies(self, day: date) -> bool:
        in_range = self.starts_on <= day <= self.ends_on
        return in_range and (not self.weekdays or day.isoweekday() in self.weekdays)


@dataclass(frozen=True)
class Earned:
    points: int
    reason: str
    breakdown: dict[str, Any] = field(default_factory=dict)  # JSON, kept on the ledger entry


def is_excluded(line: Line, rules: Rules) -> bool:
    return (
        line.excluded_product
        or line.sku in rules.excluded_skus
        or any(line.category_path.startswith(p) for p in rules.excluded_categories if p)
    )


def compute_earn(
    *,
    order_ref: str,
    lines: list[Line],
    paid_fen: int,
    day: date,
    rules: Rules,
    tier_name: str,
    tier_pct: int,
    campaigns: list[Campaign],
    earned_today: int,
) -> Earned:
    """Points for an order: the eligible share of what was paid in money (coupons and
    points used as payment earn nothing), per yuan, times the tier multiplier, times
    each campaign of the day, floored at every step, then the daily cap."""
    total_net = sum(ln.net_fen for ln in lines)
    eligible_net = sum(ln.net_fen for ln in lines if not is_excluded(ln, rules))
    eligible_fen = eligible_net * paid_fen // total_net if total_net > 0 else 0
    base = eligible_fen * rules.points_per_yuan // 100
    points = base * tier_pct // 100
    steps: list[dict[str, Any]] = []
    for c in campaigns:
        if c.applies(day):
            points = points * c.multiplier_pct // 100
            steps.append({"campaign": c.name, "multiplierPct": c.multiplier_pct})
    capped = None
    if rules.daily_cap is not None:
        room = max(rules.daily_cap - earned_today, 0)
        if points > room:
            capped, points = points, room
    breakdown = {
        "paidFen": paid_fen,
        "eligibleFen": eligible_fen,
        "excludedFen": (total_net - eligible_net) * paid_fen // total_net if total_net else 0,
        "pointsPerYuan": rules.points_per_yuan,
        "base": base,
        "tier": tier_name,
        "tierMultiplierPct": tier_pct,
        "campaigns": steps,
        "dailyCap": rules.daily_cap,
        "beforeCap": capped,
    }
    reason = f"订单 {order_ref} 消费 ¥{eligible_fen / 100:.2f} 积分"
    if steps:
        reason += "（" + "、".join(s["campaign"] for s in steps) + "）"
    return Earned(points=points, reason=reason, breakdown=breakdown)


# --- dates -----------------------------------------------------------------------------------


def business_day(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


def lot_expiry(earned_at: datetime, extra_years: int) -> datetime:
    """Default: the end of the year after the one the points were earned in (Shanghai).
    The instant the points are gone: 00:00 on 1 January, Asia/Shanghai, in UTC."""
    year = business_day(earned_at).year + extra_years + 1
    return datetime.combine(date(year, 1, 1), time(0, 0), tzinfo=SHANGHAI).astimezone(UTC)


def last_usable_day(expires_at: datetime) -> date:
    """The last business day (Asia/Shanghai) points expiring at the instant ``expires_at``
    can still be used: the day of the moment just before it. Points gone at 00:00 on
    1 January 2028 are usable through 2027-12-31; that day is what members are told."""
    return business_day(expires_at - timedelta(microseconds=1))


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The business year ``year`` (Asia/Shanghai) as a half-open UTC interval."""
    start, end = (
        datetime.combine(date(y, 1, 1), time(0, 0), tzinfo=SHANGHAI) for y in (year, year + 1)
    )
    return start.astimezone(UTC), end.astimezone(UTC)


# --- year-end rebate ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rebate:
    points: int  # converted: they leave the balance (a REBATE entry)
    value_fen: int  # the rebate coupon's value


def year_rebate(
    net_points: int, balance: int, fen_per_100_points: int, min_fen: int
) -> Rebate | None:
    """The year-end conversion of one member: the year's net points (earned less what
    refunds reversed), no more than the member can still spend, at ``fen_per_100_points``;
    only the points that make whole fen are converted (the rest stay). None when the
    coupon would be worth less than ``min_fen``: the member keeps every point."""
    base = min(max(net_points, 0), max(balance, 0))
    value = base * fen_per_100_points // 100
    if value <= 0 or value < min_fen:
        return None
    return Rebate(points=-(-value * 100 // fen_per_100_points), value_fen=value)


# --- refunds -----------------------------------------------------------------------------------


def reversal_due(earned: int, paid_fen: int, refunded_fen: int, already_reversed: int) -> int:
    """Points still to reverse after ``refunded_fen`` of ``paid_fen`` is refunded in all:
    proportional, cumulative (so two partial refunds never round to more than one full
    one), never more than was earned."""
    if paid_fen <= 0:
        return max(earned - already_reversed, 0) if refunded_fen > 0 else 0
    target = earned if refunded_fen >= paid_fen else earned * refunded_fen // paid_fen
    return max(min(target, earned) - already_reversed, 0)


# --- lots --------------------------------------------------------------------------------------


def plan_consumption(lots: list[tuple[int, int]], amount: int) -> dict[int, int]:
    """Take ``amount`` from (lot id, remaining) pairs already ordered oldest-expiry first."""
    plan: dict[int, int] = {}
    left = amount
    for lot_id, remaining in lots:
        if left == 0:
            break
        take = min(remaining, left)
        if take > 0:
            plan[lot_id] = take
            left -= take
    if left:
        raise InsufficientPoints(needed=amount, available=amount - left)
    return plan
