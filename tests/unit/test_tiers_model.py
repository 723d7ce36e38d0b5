"""Pure tier rules (DOMAIN.md, "Tiers"): which rung a measure reaches, what is left to
the next one and to keep the current one, and that an event only ever moves a member up."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from domain.tiers.model import Rung, next_goal, progress, qualifying, upgrade_due

REGULAR = Rung(1, "REGULAR", "普通会员", 0, 0)
SILVER = Rung(2, "SILVER", "银卡会员", 1, 200_000)
GOLD = Rung(3, "GOLD", "金卡会员", 2, 800_000)
DIAMOND = Rung(4, "DIAMOND", "钻石会员", 3, 2_000_000)
LADDER = [GOLD, REGULAR, DIAMOND, SILVER]  # in no particular order, as rows may come
REVIEW = datetime(2027, 6, 1, tzinfo=UTC)


def test_the_highest_rung_whose_threshold_is_reached():
    assert qualifying(LADDER, 0) is REGULAR
    assert qualifying(LADDER, 199_999) is REGULAR
    assert qualifying(LADDER, 200_000) is SILVER  # the threshold itself qualifies
    assert qualifying(LADDER, 799_999) is SILVER
    assert qualifying(LADDER, 800_000) is GOLD
    assert qualifying(LADDER, 10**12) is DIAMOND


def test_the_lowest_rung_even_below_its_threshold():
    entry = Rung(9, "ENTRY", "入门", 0, 1_000)
    assert qualifying([entry, SILVER], 0) is entry


def test_the_next_goal_is_the_lowest_rung_above_not_reached_yet_and_none_at_the_top():
    assert next_goal(LADDER, REGULAR, 0) is SILVER
    assert next_goal(LADDER, GOLD, 900_000) is DIAMOND
    assert next_goal(LADDER, DIAMOND, 10**12) is None
    assert next_goal(LADDER, REGULAR, 300_000) is GOLD  # silver reached, not yet placed
    assert next_goal(LADDER, SILVER, 2_000_000) is None  # the top reached, upgrade due


def test_progress_to_the_next_tier_and_to_keep_this_one():
    p = progress(LADDER, SILVER, 500_000, REVIEW)
    assert (p.next, p.to_next, p.to_keep, p.review_at) == (GOLD, 300_000, 0, REVIEW)
    slipping = progress(LADDER, GOLD, 500_000, REVIEW)  # spend fell in the rolling window
    assert (slipping.to_next, slipping.to_keep) == (1_500_000, 300_000)


def test_at_the_top_nothing_is_left_to_the_next_tier():
    p = progress(LADDER, DIAMOND, 2_500_000, REVIEW)
    assert (p.next, p.to_next, p.to_keep) == (None, 0, 0)


@given(st.integers(0, 5_000_000))
def test_a_member_placed_by_the_rules_is_short_of_the_next_tier(measure):
    current = qualifying(LADDER, measure)
    p = progress(LADDER, current, measure, None)
    assert p.to_keep == 0  # the tier the measure reaches is kept
    if p.next is None:
        assert current is DIAMOND and p.to_next == 0
    else:
        assert p.to_next == p.next.threshold - measure > 0


@given(st.integers(0, 5_000_000), st.integers(0, 5_000_000))
def test_more_spend_never_places_a_member_lower(a, b):
    low, high = sorted((a, b))
    assert qualifying(LADDER, low).rank <= qualifying(LADDER, high).rank


def test_an_event_only_moves_up_and_never_under_a_staff_override():
    assert upgrade_due(None, REGULAR.rank, override_active=False)  # first placement
    assert upgrade_due(SILVER.rank, GOLD.rank, override_active=False)
    assert not upgrade_due(GOLD.rank, SILVER.rank, override_active=False)  # no downgrade
    assert not upgrade_due(GOLD.rank, GOLD.rank, override_active=False)
    assert not upgrade_due(SILVER.rank, GOLD.rank, override_active=True)
