"""Pure points rules (``domain.points.model``): no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.errors import InsufficientPoints, InvalidInput
from domain.points.model import (
    SHANGHAI,
    Line,
    Rebate,
    Rules,
    RulesChange,
    amend_rules,
    compute_earn,
    last_usable_day,
    lot_expiry,
    plan_consumption,
    reversal_due,
    year_bounds,
    year_rebate,
)

SET = Rules(points_per_yuan=2, daily_cap=500, excluded_categories=("烟酒",), excluded_skus=("G",))


# --- earning rules: partial updates -------------------------------------------------------------


def test_an_absent_field_is_kept():
    assert amend_rules(SET, RulesChange(points_per_yuan=3)) == Rules(3, 500, ("烟酒",), ("G",))
    assert amend_rules(SET, RulesChange()) == SET


def test_null_clears_the_cap_and_the_lists_only():
    assert amend_rules(SET, RulesChange(daily_cap=None)) == Rules(2, None, ("烟酒",), ("G",))
    assert amend_rules(SET, RulesChange(excluded_categories=None)) == Rules(2, 500, (), ("G",))
    assert amend_rules(SET, RulesChange(excluded_skus=None)) == Rules(2, 500, ("烟酒",), ())


def test_lists_are_trimmed_deduplicated_and_sorted():
    got = amend_rules(SET, RulesChange(excluded_categories=[" 生鲜", "烟酒", "生鲜", " "]))
    assert got.excluded_categories == tuple(sorted({"生鲜", "烟酒"}))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (RulesChange(points_per_yuan=None), "pointsPerYuan"),
        (RulesChange(points_per_yuan=-1), "pointsPerYuan"),
        (RulesChange(points_per_yuan=101), "pointsPerYuan"),
        (RulesChange(daily_cap=-1), "dailyCap"),
    ],
)
def test_bad_values_are_refused_by_field(change, field):
    with pytest.raises(InvalidInput) as e:
        amend_rules(SET, change)
    assert e.value.field == field


# --- expiry dates -----------------------------------------------------------------------------


def test_points_expire_at_midnight_of_the_year_after_next_in_shanghai():
    earned = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    assert lot_expiry(earned, 1) == datetime(2027, 12, 31, 16, 0, tzinfo=UTC)
    assert lot_expiry(earned, 0) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # same year's end
    # 00:30 on 1 January in Shanghai (16:30 UTC the day before) is already the next year
    later = lot_expiry(datetime(2026, 12, 31, 16, 30, tzinfo=UTC), 1)
    assert later == datetime(2028, 12, 31, 16, 0, tzinfo=UTC)


def test_the_last_usable_day_is_the_day_before_a_midnight_expiry():
    gone = datetime(2028, 1, 1, tzinfo=SHANGHAI).astimezone(UTC)  # 2027-12-31 16:00 UTC
    assert last_usable_day(gone) == date(2027, 12, 31)
    assert last_usable_day(lot_expiry(datetime(2026, 12, 1, tzinfo=UTC), 1)) == date(2027, 12, 31)
    # an expiry during the day: that day is still usable (until that moment)
    assert last_usable_day(datetime(2028, 1, 1, 10, 0, tzinfo=SHANGHAI)) == date(2028, 1, 1)


def test_a_business_year_is_shanghai_midnight_to_midnight():
    assert year_bounds(2026) == (
        datetime(2025, 12, 31, 16, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 16, 0, tzinfo=UTC),
    )


# --- year-end rebate ---------------------------------------------------------------------------


def test_the_rebate_converts_the_net_points_of_the_year():
    assert year_rebate(1_200, 5_000, 100, 500) == Rebate(points=1_200, value_fen=1_200)
    # refunds reduce the base
    assert year_rebate(1_200 - 300, 5_000, 100, 500) == Rebate(900, 900)


def test_the_rebate_converts_no_more_than_the_member_can_spend():
    assert year_rebate(1_200, 700, 100, 500) == Rebate(700, 700)


def test_only_points_that_make_whole_fen_are_converted():
    # 30 fen per 100 points: 1,701 points make 510 fen, which 1,700 points already give
    assert year_rebate(1_701, 9_999, 30, 500) == Rebate(1_700, 510)


@pytest.mark.parametrize(
    ("net", "balance", "rate", "minimum"),
    [(499, 9_999, 100, 500), (1_200, 499, 100, 500), (-50, 100, 100, 1), (9_999, 9_999, 0, 1)],
)
def test_below_the_minimum_the_member_keeps_the_points(net, balance, rate, minimum):
    assert year_rebate(net, balance, rate, minimum) is None


# --- earning, refunds, lots --------------------------------------------------------------------


def test_earning_excludes_categories_then_caps_the_day():
    lines = [Line("T", "烟酒/香烟", 1, 3_000, 0), Line("M", "乳品/牛奶", 2, 1_000, 500)]
    got = compute_earn(
        order_ref="A1",
        lines=lines,
        paid_fen=4_500,
        day=date(2026, 12, 1),
        rules=Rules(daily_cap=20, excluded_categories=("烟酒",)),
        tier_name="REGULAR",
        tier_pct=100,
        campaigns=[],
        earned_today=0,
    )
    assert (got.points, got.breakdown["eligibleFen"], got.breakdown["beforeCap"]) == (
        15,
        1_500,
        None,
    )


def test_reversal_is_proportional_and_cumulative():
    assert reversal_due(100, 10_000, 3_333, 0) == 33
    assert reversal_due(100, 10_000, 6_666, 33) == 33
    assert reversal_due(100, 10_000, 10_000, 66) == 34


def test_lots_are_consumed_in_order_and_overspending_is_refused():
    assert plan_consumption([(1, 50), (2, 100)], 120) == {1: 50, 2: 70}
    with pytest.raises(InsufficientPoints):
        plan_consumption([(1, 50)], 51)
