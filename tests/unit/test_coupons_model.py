"""Pure coupon rules not covered by test_coupon_rules.py: which templates are refused,
eligibility by category and SKU, stacking, dates and budget, published odds, and that a
discount never exceeds what it applies to (DOMAIN.md, "Coupons and promotions")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.coupons import model as m
from domain.errors import InvalidInput

NOON_WED = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # Wednesday 12:00 in Shanghai


def draft(*lines: tuple[str, str, int, int], fee: int = 0) -> m.Draft:
    return m.Draft("SH01", "POS", tuple(m.Line(s, c, 1, p, d) for s, c, p, d in lines), fee)


def held(terms: m.Terms) -> m.Held:
    return m.Held("C1", terms, "ACTIVE", NOON_WED - timedelta(days=1), NOON_WED + timedelta(days=1))


def verdict(terms: m.Terms, d: m.Draft, **usage: int) -> m.Verdict:
    return m.evaluate(held(terms), d, at=NOON_WED, tier_code="SILVER", usage=m.Usage(**usage))


TEN_OFF = ((0, 1_000),)


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        (m.Terms(m.Kind.AMOUNT_OFF), "valueFen"),
        (m.Terms(m.Kind.AMOUNT_OFF, ladder=((10_000, 2_000), (10_000, 3_000))), "ladder"),
        (m.Terms(m.Kind.AMOUNT_OFF, ladder=((10_000, 0),)), "ladder"),
        (m.Terms(m.Kind.AMOUNT_OFF, ladder=((10_000, 10_000),)), "ladder"),  # all of it off
        (m.Terms(m.Kind.PERCENT_OFF, percent_off=100), "percentOff"),
        (m.Terms(m.Kind.PERCENT_OFF, percent_off=10, cap_fen=0), "capFen"),
        (m.Terms(m.Kind.GIFT), "giftSku"),
        (m.Terms(m.Kind.FREE_DELIVERY, threshold_fen=-1), "capFen"),
        (m.Terms(m.Kind.AMOUNT_OFF, ladder=TEN_OFF, weekdays=(0,)), "weekdays"),
        (m.Terms(m.Kind.AMOUNT_OFF, ladder=TEN_OFF, hours=(22, 6)), "hourFrom"),
        (m.Terms(m.Kind.AMOUNT_OFF, ladder=TEN_OFF, hours=(8, 25)), "hourFrom"),
    ],
)
def test_templates_that_could_never_be_redeemed_as_meant_are_refused(terms, field):
    with pytest.raises(InvalidInput) as err:
        m.check_terms(terms)
    assert err.value.field == field


def test_sound_templates_pass():
    for terms in [
        m.Terms(m.Kind.AMOUNT_OFF, ladder=((10_000, 2_000), (20_000, 5_000))),
        m.Terms(m.Kind.AMOUNT_OFF, ladder=TEN_OFF),  # no threshold: 立减
        m.Terms(m.Kind.PERCENT_OFF, percent_off=10, cap_fen=3_000, hours=(0, 24)),
        m.Terms(m.Kind.GIFT, gift_sku="G1", weekdays=(1, 7)),
        m.Terms(m.Kind.FREE_DELIVERY, threshold_fen=3_900),
    ]:
        m.check_terms(terms)


def test_only_included_categories_or_skus_count_towards_the_threshold():
    fresh = m.Terms(m.Kind.AMOUNT_OFF, ladder=((5_000, 1_000),), include_categories=("生鲜",))
    d = draft(("A", "生鲜/水果", 4_000, 0), ("B", "日用/纸品", 9_000, 0))
    assert [f.reason for f in verdict(fresh, d).failures] == [m.Reason.BELOW_THRESHOLD]
    d = draft(("A", "生鲜/水果", 4_000, 0), ("C", "生鲜/蔬菜", 1_000, 0))
    assert verdict(fresh, d).discount_fen == 1_000
    by_sku = m.Terms(m.Kind.AMOUNT_OFF, ladder=TEN_OFF, include_skus=("B",))
    nothing = verdict(by_sku, draft(("A", "生鲜", 4_000, 0)))
    assert [f.reason for f in nothing.failures] == [m.Reason.CATEGORY_EXCLUDED]


def test_one_coupon_per_stacking_group_and_exclusive_ones_alone():
    fresh = m.Terms(m.Kind.AMOUNT_OFF, ladder=TEN_OFF, stacking_group="fresh")
    assert m.stacking("C1", fresh, (("C1", "fresh", False), ("C2", "dairy", False))) == []
    same = m.stacking("C1", fresh, (("C2", "fresh", False),))
    assert [(f.reason, f.conflicting_code) for f in same] == [(m.Reason.NOT_STACKABLE, "C2")]
    other_exclusive = m.stacking("C1", fresh, (("C3", "", True),))
    assert [f.conflicting_code for f in other_exclusive] == ["C3"]
    alone = m.Terms(m.Kind.AMOUNT_OFF, ladder=TEN_OFF, exclusive=True)
    assert [f.conflicting_code for f in m.stacking("C1", alone, (("C4", "", False),))] == ["C4"]
    assert m.stacking("C1", alone, ()) == []


def test_not_yet_valid_and_expiry_at_the_end_instant():
    terms = m.Terms(m.Kind.AMOUNT_OFF, ladder=TEN_OFF)
    d = draft(("A", "", 1_000, 0))
    h = held(terms)
    early = m.evaluate(h, d, at=h.valid_from - timedelta(seconds=1), tier_code="", usage=m.Usage())
    assert [f.reason for f in early.failures] == [m.Reason.NOT_YET_VALID]
    late = m.evaluate(h, d, at=h.valid_until, tier_code="", usage=m.Usage())
    assert [f.reason for f in late.failures] == [m.Reason.EXPIRED]
    theirs = m.evaluate(h, d, at=NOON_WED, tier_code="", usage=m.Usage(), mine=False)
    assert [f.reason for f in theirs.failures] == [m.Reason.NOT_YOURS]


def test_a_spent_budget_stops_the_discount():
    terms = m.Terms(m.Kind.AMOUNT_OFF, ladder=TEN_OFF)
    d = draft(("A", "", 5_000, 0))
    assert verdict(terms, d, budget_left_fen=1_000).discount_fen == 1_000
    v = verdict(terms, d, budget_left_fen=999)
    assert ([f.reason for f in v.failures], v.discount_fen) == ([m.Reason.BUDGET_SPENT], 0)


def test_published_odds_are_per_mille_and_rounded_down():
    prizes = (m.Prize("一等奖", 1), m.Prize("二等奖", 2), m.Prize("谢谢参与", 997))
    assert m.odds_permille(prizes) == [("一等奖", 1), ("二等奖", 2), ("谢谢参与", 997)]
    assert m.odds_permille((m.Prize("a", 1), m.Prize("b", 2))) == [("a", 333), ("b", 666)]


lines = st.lists(
    st.tuples(st.sampled_from(["生鲜/水果", "日用", "烟酒"]), st.integers(0, 50_000)),
    min_size=1,
    max_size=5,
)


@given(lines, st.integers(1, 99), st.one_of(st.none(), st.integers(1, 10_000)))
def test_a_discount_never_exceeds_the_eligible_amount(items, percent, cap):
    d = draft(*((f"S{i}", c, p, 0) for i, (c, p) in enumerate(items)))
    for terms in [
        m.Terms(m.Kind.PERCENT_OFF, percent_off=percent, cap_fen=cap, exclude_categories=("烟酒",)),
        m.Terms(m.Kind.AMOUNT_OFF, ladder=((0, 3_000), (10_000, 8_000))),
    ]:
        v = verdict(terms, d)
        base = m.eligible_fen(terms, d)
        assert 0 <= v.discount_fen <= base
        if cap is not None and terms.kind is m.Kind.PERCENT_OFF:
            assert v.discount_fen <= cap
