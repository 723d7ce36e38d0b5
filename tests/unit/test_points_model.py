"""Pure points rules (DOMAIN.md, "Points ledger"): what an order earns, when a lot
expires, what a refund reverses, which lots a spend takes. No database, no event loop."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InsufficientPoints
from domain.points.model import (
    Campaign,
    Line,
    Rules,
    business_day,
    compute_earn,
    lot_expiry,
    plan_consumption,
    reversal_due,
)

WEDNESDAY = date(2026, 11, 25)
THURSDAY = date(2026, 11, 26)


def earn(
    paid_fen: int,
    lines: list[Line] | None = None,
    *,
    rules: Rules | None = None,
    tier_pct: int = 100,
    campaigns: tuple[Campaign, ...] = (),
    day: date = WEDNESDAY,
    earned_today: int = 0,
) -> int:
    return compute_earn(
        order_ref="SH01-1",
        lines=lines if lines is not None else [Line("A1", "食品/零食", 1, paid_fen, 0)],
        paid_fen=paid_fen,
        day=day,
        rules=rules or Rules(),
        tier_name="普通会员",
        tier_pct=tier_pct,
        campaigns=list(campaigns),
        earned_today=earned_today,
    ).points


# --- earning ------------------------------------------------------------------------------


def test_one_point_per_whole_yuan_paid():
    assert earn(12_345) == 123  # ¥123.45: the cents earn nothing
    assert earn(99) == 0
    assert earn(0) == 0


def test_points_per_yuan_is_a_setting():
    assert earn(10_000, rules=Rules(points_per_yuan=2)) == 200


def test_only_money_paid_earns_not_the_coupon_value():
    # lines worth ¥100 after line discounts; a ¥20 coupon: ¥80 paid in money
    lines = [Line("A1", "食品", 2, 5_000, 0)]
    assert earn(8_000, lines) == 80


def test_tier_multiplier_then_each_campaign_of_the_day():
    member_day = Campaign("会员日双倍", 200, date(2026, 1, 1), date(2026, 12, 31), weekdays=(3,))
    assert earn(10_000, tier_pct=150) == 150
    assert earn(10_000, tier_pct=150, campaigns=(member_day,)) == 300  # Wednesday
    assert earn(10_000, tier_pct=150, campaigns=(member_day,), day=THURSDAY) == 150


def test_a_campaign_applies_only_between_its_dates():
    november = Campaign("双11", 300, date(2026, 11, 1), date(2026, 11, 11))
    assert earn(10_000, campaigns=(november,), day=date(2026, 11, 11)) == 300
    assert earn(10_000, campaigns=(november,), day=date(2026, 11, 12)) == 100
    assert earn(10_000, campaigns=(november,), day=date(2026, 10, 31)) == 100


def test_the_reason_names_the_campaigns_that_applied():
    member_day = Campaign("会员日", 200, date(2026, 1, 1), date(2026, 12, 31))
    e = compute_earn(
        order_ref="SH01-20261125-0001",
        lines=[Line("A1", "食品", 1, 10_000, 0)],
        paid_fen=10_000,
        day=WEDNESDAY,
        rules=Rules(),
        tier_name="金卡会员",
        tier_pct=100,
        campaigns=[member_day],
        earned_today=0,
    )
    assert "SH01-20261125-0001" in e.reason and "会员日" in e.reason
    assert e.breakdown["campaigns"] == [{"campaign": "会员日", "multiplierPct": 200}]


def test_excluded_categories_skus_and_products_earn_nothing():
    lines = [
        Line("T1", "烟酒/香烟", 1, 5_000, 0),  # excluded category (prefix)
        Line("M1", "母婴/奶粉", 1, 3_000, 0),  # excluded SKU
        Line("G1", "礼品卡", 1, 1_000, 0, excluded_product=True),
        Line("F1", "生鲜/水果", 1, 1_000, 0),
    ]
    rules = Rules(excluded_categories=("烟酒",), excluded_skus=("M1",))
    assert earn(10_000, lines, rules=rules) == 10  # only the fruit's ¥10
    # a coupon on the whole order: the eligible share of the money paid earns
    assert earn(5_000, lines, rules=rules) == 5


def test_the_daily_cap_limits_what_one_business_day_earns():
    capped = Rules(daily_cap=100)
    assert earn(30_000, rules=capped) == 100
    assert earn(30_000, rules=capped, earned_today=90) == 10
    assert earn(30_000, rules=capped, earned_today=150) == 0  # never negative


paid = st.integers(min_value=0, max_value=10_000_000)
pct = st.integers(min_value=100, max_value=1000)


@given(paid, paid, pct, st.one_of(st.none(), st.integers(0, 10_000)), st.integers(0, 20_000))
def test_earned_points_grow_with_the_amount_paid_and_are_never_negative(a, b, tier, cap, today):
    low, high = sorted((a, b))
    lines = [Line("A1", "食品", 1, high, 0)]
    rules = Rules(daily_cap=cap)
    p_low = earn(low, lines, rules=rules, tier_pct=tier, earned_today=today)
    p_high = earn(high, lines, rules=rules, tier_pct=tier, earned_today=today)
    assert 0 <= p_low <= p_high
    assert p_high <= high // 100 * tier // 100 + tier  # never more than yuan x multiplier
    if cap is not None:
        assert p_high <= max(cap - today, 0)


# --- expiry dates ---------------------------------------------------------------------------


def test_points_expire_at_the_end_of_the_year_after_they_were_earned():
    earned = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
    # gone at 00:00 on 1 January 2027, Shanghai time = 16:00 UTC on 31 December 2026
    assert lot_expiry(earned, 1) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert lot_expiry(earned, 0) == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)


def test_the_earning_year_is_the_shanghai_one():
    new_years_eve_utc = datetime(2025, 12, 31, 17, 0, tzinfo=UTC)  # 01:00 on 1 Jan in Shanghai
    assert business_day(new_years_eve_utc) == date(2026, 1, 1)
    assert lot_expiry(new_years_eve_utc, 1) == datetime(2027, 12, 31, 16, 0, tzinfo=UTC)
    before = datetime(2025, 12, 31, 15, 59, tzinfo=UTC)  # 23:59 on 31 Dec in Shanghai
    assert lot_expiry(before, 1) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


# --- refunds ---------------------------------------------------------------------------------


def test_a_refund_reverses_the_points_of_the_refunded_part():
    assert reversal_due(earned=100, paid_fen=10_000, refunded_fen=2_500, already_reversed=0) == 25
    assert reversal_due(earned=100, paid_fen=10_000, refunded_fen=10_000, already_reversed=0) == 100


def test_partial_refunds_add_up_to_the_full_reversal_and_never_beyond():
    first = reversal_due(earned=99, paid_fen=10_000, refunded_fen=3_333, already_reversed=0)
    second = reversal_due(earned=99, paid_fen=10_000, refunded_fen=6_666, already_reversed=first)
    last = reversal_due(
        earned=99, paid_fen=10_000, refunded_fen=10_000, already_reversed=first + second
    )
    assert first + second + last == 99
    assert reversal_due(earned=99, paid_fen=10_000, refunded_fen=12_000, already_reversed=99) == 0


def test_an_order_paid_only_with_coupons_or_points_reverses_what_it_earned_on_refund():
    assert reversal_due(earned=0, paid_fen=0, refunded_fen=0, already_reversed=0) == 0
    assert reversal_due(earned=5, paid_fen=0, refunded_fen=100, already_reversed=0) == 5


@given(
    st.integers(0, 100_000),
    st.integers(1, 10_000_000),
    st.lists(st.integers(1, 1_000_000), min_size=1, max_size=8),
)
def test_reversals_are_proportional_cumulative_and_bounded(earned, paid_fen, refunds):
    reversed_total, refunded = 0, 0
    for amount in refunds:
        refunded = min(refunded + amount, paid_fen)
        step = reversal_due(earned, paid_fen, refunded, reversed_total)
        assert step >= 0
        reversed_total += step
        # what has been reversed is the refunded share of what was earned, rounded down
        assert reversed_total == earned * refunded // paid_fen
    assert reversed_total <= earned
    if refunded == paid_fen:
        assert reversed_total == earned


# --- spending lots ----------------------------------------------------------------------------


def test_a_spend_takes_the_lots_in_the_order_given_oldest_expiry_first():
    lots = [(7, 30), (3, 50), (9, 100)]
    assert plan_consumption(lots, 60) == {7: 30, 3: 30}
    assert plan_consumption(lots, 30) == {7: 30}
    assert plan_consumption(lots, 0) == {}


def test_empty_lots_are_skipped_and_too_little_is_refused():
    assert plan_consumption([(1, 0), (2, 10)], 10) == {2: 10}
    with pytest.raises(InsufficientPoints):
        plan_consumption([(1, 30), (2, 20)], 51)


@given(st.lists(st.integers(0, 1_000), max_size=10), st.integers(0, 12_000))
def test_a_plan_takes_exactly_the_amount_within_each_lot(remaining, amount):
    lots = list(enumerate(remaining))
    if amount > sum(remaining):
        with pytest.raises(InsufficientPoints):
            plan_consumption(lots, amount)
        return
    plan = plan_consumption(lots, amount)
    assert sum(plan.values()) == amount
    assert all(0 < take <= remaining[i] for i, take in plan.items())
    # oldest first: a lot is touched only once every earlier non-empty lot is used up
    touched = sorted(plan)
    for i in range(touched[-1] if touched else 0):
        assert plan.get(i, 0) == remaining[i]
