"""Pure coupon rules: does a coupon apply to an order draft, why not, and for how much.

Every check runs, so a refusal lists every reason at once (expired *and* below the
threshold), each with a stable code. Amounts are integer fen; percentages round down.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.errors import InvalidInput
from domain.points.model import Line as Line  # coupon terms are checked on order lines

# the template columns a description needs (what a coupon list reads, and no more)
DESCRIBED = ("kind", "ladder", "threshold_fen", "value_fen", "percent_off", "cap_fen", "gift_sku")

SHANGHAI = ZoneInfo("Asia/Shanghai")
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud at a till
CODE_LENGTH = 14  # 31^14 ~ 2^69: not guessable, not enumerable


class Kind(StrEnum):
    AMOUNT_OFF = "AMOUNT_OFF"  # 满减: spend X get Y off, optionally a ladder of steps
    PERCENT_OFF = "PERCENT_OFF"  # N% off, optionally capped
    GIFT = "GIFT"  # a free item (a SKU)
    FREE_DELIVERY = "FREE_DELIVERY"


class Trigger(StrEnum):
    FIRST_ORDER = "FIRST_ORDER"  # registered N days without a purchase
    BIRTHDAY = "BIRTHDAY"  # value from the member's tier
    TIER_UPGRADE = "TIER_UPGRADE"
    WIN_BACK = "WIN_BACK"  # no purchase for WIN_BACK_DAYS
    POINTS_EXPIRY = "POINTS_EXPIRY"  # points about to expire: a reason to come back
    YEAR_END_REBATE = "YEAR_END_REBATE"  # points earned in the year, converted


class Source(StrEnum):
    """How a coupon reached its holder."""

    STAFF = "STAFF"
    CLAIM = "CLAIM"
    TRIGGER = "TRIGGER"
    REWARD = "REWARD"


class Refusal(StrEnum):
    """Why a coupon was not issued or claimed."""

    NOT_FOUND = "NOT_FOUND"
    ALREADY_ISSUED = "ALREADY_ISSUED"
    LIMIT_REACHED = "LIMIT_REACHED"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    ENDED = "ENDED"
    TEMPLATE_INACTIVE = "TEMPLATE_INACTIVE"
    MEMBER_NOT_ACTIVE = "MEMBER_NOT_ACTIVE"  # erased or merged
    MEMBER_FROZEN = "MEMBER_FROZEN"  # frozen: no coupons until unfrozen


class Period(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


class Reason(StrEnum):
    NOT_YOURS = "NOT_YOURS"
    ALREADY_USED = "ALREADY_USED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    OUTSIDE_HOURS = "OUTSIDE_HOURS"
    BELOW_THRESHOLD = "BELOW_THRESHOLD"
    WRONG_STORE = "WRONG_STORE"
    WRONG_CHANNEL = "WRONG_CHANNEL"
    TIER_NOT_ELIGIBLE = "TIER_NOT_ELIGIBLE"
    CATEGORY_EXCLUDED = "CATEGORY_EXCLUDED"
    GIFT_NOT_IN_ORDER = "GIFT_NOT_IN_ORDER"
    LIMIT_REACHED = "LIMIT_REACHED"
    BUDGET_SPENT = "BUDGET_SPENT"
    NOT_STACKABLE = "NOT_STACKABLE"


@dataclass(frozen=True)
class Failure:
    reason: Reason
    message: str
    conflicting_code: str | None = None


@dataclass(frozen=True)
class Terms:
    """What a template promises and to whom (one coupon may override the value)."""

    kind: Kind
    ladder: tuple[tuple[int, int], ...] = ()  # AMOUNT_OFF: (threshold, off), ascending
    threshold_fen: int = 0  # PERCENT_OFF, GIFT, FREE_DELIVERY: minimum eligible spend
    percent_off: int = 0
    cap_fen: int | None = None
    gift_sku: str = ""
    weekdays: tuple[int, ...] = ()
    hours: tuple[int, int] | None = None
    tiers: tuple[str, ...] = ()
    stores: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    include_categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    include_skus: tuple[str, ...] = ()
    exclude_skus: tuple[str, ...] = ()
    discounted_items_count: bool = True
    stacking_group: str = ""
    exclusive: bool = False


@dataclass(frozen=True)
class Draft:
    """An order as it stands at checkout."""

    store_code: str
    channel: str
    lines: tuple[Line, ...]  # the priced order line points earning uses too
    delivery_fee_fen: int = 0


@dataclass(frozen=True)
class Held:
    """One coupon as it stands: who holds it, its state and dates."""

    code: str
    terms: Terms
    status: str
    valid_from: datetime
    valid_until: datetime


@dataclass(frozen=True)
class Verdict:
    failures: tuple[Failure, ...]
    discount_fen: int
    gift_sku: str = ""

    @property
    def applicable(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class Usage:
    """The member's and the template's use so far (for limits and budget)."""

    used_in_period: int = 0
    period_limit: int | None = None
    budget_left_fen: int | None = None
    others: tuple[tuple[str, str, bool], ...] = field(default=())  # (code, group, exclusive)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(code.split()).upper().replace("-", "")


def line_counts(t: Terms, line: Line) -> bool:
    """Whether a line is eligible for the coupon (threshold and discount base)."""
    if line.sku in t.exclude_skus:
        return False
    if any(line.category_path.startswith(p) for p in t.exclude_categories if p):
        return False
    if not t.discounted_items_count and line.discount_fen > 0:
        return False
    if t.include_skus or t.include_categories:
        return line.sku in t.include_skus or any(
            line.category_path.startswith(p) for p in t.include_categories if p
        )
    return True


def eligible_fen(t: Terms, d: Draft) -> int:
    return sum(max(0, ln.net_fen) for ln in d.lines if line_counts(t, ln))


def discount_for(t: Terms, base_fen: int, d: Draft) -> tuple[int, int]:
    """(discount in fen, threshold still missing in fen: 0 when met)."""
    if t.kind is Kind.AMOUNT_OFF:
        steps = [s for s in t.ladder if s[0] <= base_fen]
        if not steps:
            return 0, (t.ladder[0][0] - base_fen) if t.ladder else 0
        return min(max(s[1] for s in steps), base_fen), 0
    if base_fen < t.threshold_fen or (base_fen == 0 and t.kind is Kind.PERCENT_OFF):
        return 0, max(1, t.threshold_fen - base_fen)
    if t.kind is Kind.PERCENT_OFF:
        off = base_fen * t.percent_off // 100
        return (min(off, t.cap_fen) if t.cap_fen is not None else off), 0
    if t.kind is Kind.FREE_DELIVERY:
        return max(0, min(d.delivery_fee_fen, t.cap_fen or d.delivery_fee_fen)), 0
    gift = next((ln for ln in d.lines if ln.sku == t.gift_sku), None)
    return (gift.unit_price_fen if gift else 0), 0


def _window(t: Terms, at: datetime) -> list[Failure]:
    local = at.astimezone(SHANGHAI)
    out = []
    if t.weekdays and local.isoweekday() not in t.weekdays:
        days = "、".join("一二三四五六日"[w - 1] for w in sorted(t.weekdays))
        out.append(Failure(Reason.OUTSIDE_HOURS, f"Only on weekdays 周{days}."))
    if t.hours and not t.hours[0] <= local.hour < t.hours[1]:
        out.append(Failure(Reason.OUTSIDE_HOURS, f"Only {t.hours[0]}:00-{t.hours[1]}:00."))
    return out


def stacking(code: str, t: Terms, others: tuple[tuple[str, str, bool], ...]) -> list[Failure]:
    """Conflicts with the other coupons of the same order, each named."""
    out = []
    for other, group, exclusive in others:
        if other == code:
            continue
        if t.exclusive or exclusive:
            out.append(Failure(Reason.NOT_STACKABLE, f"Not combinable with coupon {other}.", other))
        elif t.stacking_group and group == t.stacking_group:
            out.append(
                Failure(
                    Reason.NOT_STACKABLE,
                    f"Coupon {other} is of the same group {group!r}: one per order.",
                    other,
                )
            )
    return out


def evaluate(
    held: Held, d: Draft, *, at: datetime, tier_code: str, usage: Usage, mine: bool = True
) -> Verdict:
    """Every reason this coupon does not apply to the draft now, and its discount."""
    t = held.terms
    f: list[Failure] = []
    if not mine:
        f.append(Failure(Reason.NOT_YOURS, "This coupon belongs to another member."))
    if held.status == "USED":
        f.append(Failure(Reason.ALREADY_USED, "This coupon was already used."))
    if held.status == "EXPIRED" or at >= held.valid_until:
        f.append(Failure(Reason.EXPIRED, f"Expired on {_day(held.valid_until)}."))
    elif at < held.valid_from:
        f.append(Failure(Reason.NOT_YET_VALID, f"Valid from {_day(held.valid_from)}."))
    f += _window(t, at)
    if t.stores and d.store_code not in t.stores:
        f.append(Failure(Reason.WRONG_STORE, f"Only in stores {', '.join(t.stores)}."))
    if t.channels and d.channel not in t.channels:
        f.append(Failure(Reason.WRONG_CHANNEL, f"Only for {', '.join(t.channels)} orders."))
    if t.tiers and tier_code not in t.tiers:
        f.append(Failure(Reason.TIER_NOT_ELIGIBLE, f"Only for tiers {', '.join(t.tiers)}."))
    if d.lines and not any(line_counts(t, ln) for ln in d.lines):
        f.append(Failure(Reason.CATEGORY_EXCLUDED, "No item of this order is eligible."))
    base = eligible_fen(t, d)
    off, missing = discount_for(t, base, d)
    if missing:
        f.append(
            Failure(
                Reason.BELOW_THRESHOLD,
                f"Eligible items come to ¥{base / 100:.2f}: ¥{missing / 100:.2f} short.",
            )
        )
    if t.kind is Kind.GIFT and not any(ln.sku == t.gift_sku for ln in d.lines):
        f.append(Failure(Reason.GIFT_NOT_IN_ORDER, f"Add the gift item {t.gift_sku} to the order."))
    if usage.period_limit is not None and usage.used_in_period >= usage.period_limit:
        f.append(Failure(Reason.LIMIT_REACHED, f"Used {usage.used_in_period} times this period."))
    if usage.budget_left_fen is not None and off > usage.budget_left_fen:
        f.append(Failure(Reason.BUDGET_SPENT, "This promotion's budget is spent."))
    f += stacking(held.code, t, usage.others)
    return Verdict(tuple(f), 0 if f else off, t.gift_sku if t.kind is Kind.GIFT else "")


def _day(at: datetime) -> str:
    return at.astimezone(SHANGHAI).date().isoformat()


def _yuan(fen: int) -> str:
    return f"{fen / 100:g}" if fen % 100 else str(fen // 100)


def describe(t: Terms, valid_until: datetime | None, validity_days: int | None) -> str:
    """The human description the app shows: "满100减20, 2026-12-31 前有效"."""
    if t.kind is Kind.AMOUNT_OFF:
        what = "，".join(
            f"满{_yuan(th)}减{_yuan(off)}" if th else f"立减{_yuan(off)}" for th, off in t.ladder
        )
    elif t.kind is Kind.PERCENT_OFF:
        what = f"{_fold(t.percent_off)}折"
        if t.threshold_fen:
            what = f"满{_yuan(t.threshold_fen)}享{what}"
        if t.cap_fen is not None:
            what += f" 最高减{_yuan(t.cap_fen)}"
    elif t.kind is Kind.GIFT:
        what = f"赠品 {t.gift_sku}" + (f"（满{_yuan(t.threshold_fen)}）" if t.threshold_fen else "")
    else:
        what = "免运费" + (f"（满{_yuan(t.threshold_fen)}）" if t.threshold_fen else "")
    if valid_until is not None:
        return f"{what}, {_day(valid_until)} 前有效"
    return f"{what}, 领取后 {validity_days} 天内有效"


def _fold(percent_off: int) -> str:
    """10% off is 9折, 15% off is 8.5折."""
    rest = 100 - percent_off
    return str(rest // 10) if rest % 10 == 0 else f"{rest / 10:g}"


def validity(
    issued_at: datetime,
    fixed_from: datetime | None,
    fixed_until: datetime | None,
    days: int | None,
) -> tuple[datetime, datetime]:
    """A coupon's window: the template's fixed dates, or through the end of the
    Shanghai business day N days after issue."""
    if fixed_until is not None:
        return fixed_from or issued_at, fixed_until
    local = issued_at.astimezone(SHANGHAI).date() + timedelta(days=(days or 30) + 1)
    end = datetime.combine(local, datetime.min.time(), tzinfo=SHANGHAI)
    return issued_at, end.astimezone(issued_at.tzinfo)


def period_start(period: Period, at: datetime) -> datetime:
    """The UTC instant the current DAY/WEEK/MONTH began, Asia/Shanghai."""
    day = at.astimezone(SHANGHAI).date()
    if period is Period.WEEK:
        day -= timedelta(days=day.weekday())
    elif period is Period.MONTH:
        day = date(day.year, day.month, 1)
    return datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI).astimezone(at.tzinfo)


def check_terms(t: Terms) -> None:
    """Refuse a template that could never be redeemed as meant."""
    if t.kind is Kind.AMOUNT_OFF:
        if not t.ladder:
            raise InvalidInput("An amount-off coupon needs a value.", field="valueFen")
        prev = -1
        for threshold, off in t.ladder:
            if threshold <= prev or off <= 0 or threshold < 0:
                raise InvalidInput(
                    "Ladder steps need rising thresholds and positive values.", field="ladder"
                )
            if threshold and off >= threshold:
                raise InvalidInput("A step cannot take off its whole threshold.", field="ladder")
            prev = threshold
    if t.kind is Kind.PERCENT_OFF and not 1 <= t.percent_off <= 99:
        raise InvalidInput("percentOff is 1-99.", field="percentOff")
    if t.kind is Kind.GIFT and not t.gift_sku:
        raise InvalidInput("A gift coupon names its SKU.", field="giftSku")
    if t.threshold_fen < 0 or (t.cap_fen is not None and t.cap_fen <= 0):
        raise InvalidInput("Thresholds and caps are positive fen.", field="capFen")
    if any(not 1 <= w <= 7 for w in t.weekdays):
        raise InvalidInput("Weekdays are 1 (Monday) to 7.", field="weekdays")
    if t.hours and not 0 <= t.hours[0] < t.hours[1] <= 24:
        raise InvalidInput("Hours are 0-24, from before to.", field="hourFrom")


# --- lottery draws (rewards catalogue) -------------------------------------------------------


@dataclass(frozen=True)
class Prize:
    name: str
    weight: int  # odds: weight / total weight
    coupon_template: str = ""  # the prize is a coupon of this template; empty: goods/nothing


def draw(prizes: tuple[Prize, ...], roll: int) -> Prize:
    """The prize a roll in [0, total weight) lands on."""
    for p in prizes:
        if roll < p.weight:
            return p
        roll -= p.weight
    raise ValueError("roll beyond the total weight")


def odds_permille(prizes: tuple[Prize, ...]) -> list[tuple[str, int]]:
    """Each prize's published chance in 1/1000, rounded down."""
    total = sum(p.weight for p in prizes) or 1
    return [(p.name, p.weight * 1000 // total) for p in prizes]


def check_prizes(prizes: tuple[Prize, ...]) -> None:
    if not prizes or any(p.weight < 0 for p in prizes) or sum(p.weight for p in prizes) <= 0:
        raise InvalidInput("A draw needs prizes with non-negative odds.", field="prizes")
