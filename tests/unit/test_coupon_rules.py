"""Pure coupon rules: discounts, thresholds, windows, descriptions, validity, draws."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from domain.coupons import model as m
from domain.errors import InvalidInput

NOON_WED = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # Wednesday 12:00 in Shanghai


def draft(*lines: tuple[str, str, int, int], fee: int = 0, store="SH01", channel="POS") -> m.Draft:
    return m.Draft(store, channel, tuple(m.Line(s, c, 1, p, d) for s, c, p, d in lines), fee)


def held(terms: m.Terms, status="ACTIVE") -> m.Held:
    return m.Held("C1", terms, status, NOON_WED - timedelta(days=1), NOON_WED + timedelta(days=1))


def verdict(terms: m.Terms, d: m.Draft, **usage) -> m.Verdict:
    return m.evaluate(held(terms), d, at=NOON_WED, tier_code="SILVER", usage=m.Usage(**usage))


LADDER = m.Terms(m.Kind.AMOUNT_OFF, ladder=((10_000, 2_000), (20_000, 5_000)))


@pytest.mark.parametrize(
    ("spend", "off"),
    [(9_999, 0), (10_000, 2_000), (19_999, 2_000), (20_000, 5_000), (90_000, 5_000)],
)
def test_ladder_takes_the_highest_step_reached(spend, off):
    v = verdict(LADDER, draft(("A", "", spend, 0)))
    assert v.discount_fen == off
    assert v.applicable is (off > 0)


def test_percent_off_rounds_down_and_is_capped():
    terms = m.Terms(m.Kind.PERCENT_OFF, percent_off=10, cap_fen=3_000)
    assert verdict(terms, draft(("A", "", 12_345, 0))).discount_fen == 1_234
    assert verdict(terms, draft(("A", "", 90_000, 0))).discount_fen == 3_000


def test_excluded_and_already_discounted_lines_do_not_count():
    terms = m.Terms(
        m.Kind.AMOUNT_OFF,
        ladder=((10_000, 2_000),),
        exclude_categories=("烟酒",),
        discounted_items_count=False,
    )
    d = draft(
        ("A", "生鲜/水果", 6_000, 0), ("B", "烟酒/白酒", 50_000, 0), ("C", "日用", 9_000, 100)
    )
    v = verdict(terms, d)
    assert [f.reason for f in v.failures] == [m.Reason.BELOW_THRESHOLD]
    assert "¥60.00" in v.failures[0].message and "¥40.00 short" in v.failures[0].message


def test_free_delivery_and_gift():
    free = m.Terms(m.Kind.FREE_DELIVERY, threshold_fen=3_900)
    assert verdict(free, draft(("A", "", 4_000, 0), fee=600)).discount_fen == 600
    gift = m.Terms(m.Kind.GIFT, gift_sku="G1")
    v = verdict(gift, draft(("A", "", 4_000, 0)))
    assert [f.reason for f in v.failures] == [m.Reason.GIFT_NOT_IN_ORDER]
    v = verdict(gift, draft(("A", "", 4_000, 0), ("G1", "", 1_500, 0)))
    assert (v.discount_fen, v.gift_sku) == (1_500, "G1")


def test_time_windows_are_shanghai_weekdays_and_hours():
    weekend = m.Terms(m.Kind.AMOUNT_OFF, ladder=((0, 100),), weekdays=(6, 7))
    evening = m.Terms(m.Kind.AMOUNT_OFF, ladder=((0, 100),), hours=(18, 22))
    lunch = m.Terms(m.Kind.AMOUNT_OFF, ladder=((0, 100),), hours=(11, 14))
    d = draft(("A", "", 1_000, 0))
    assert [f.reason for f in verdict(weekend, d).failures] == [m.Reason.OUTSIDE_HOURS]
    assert [f.reason for f in verdict(evening, d).failures] == [m.Reason.OUTSIDE_HOURS]
    assert verdict(lunch, d).applicable


def test_every_reason_at_once_and_nothing_off():
    terms = m.Terms(
        m.Kind.AMOUNT_OFF,
        ladder=((10_000, 2_000),),
        stores=("GZ01",),
        channels=("APP",),
        tiers=("GOLD",),
    )
    v = m.evaluate(
        held(terms, status="USED"),
        draft(("A", "", 5_000, 0)),
        at=NOON_WED + timedelta(days=2),
        tier_code="SILVER",
        usage=m.Usage(used_in_period=1, period_limit=1, others=(("C2", "", True),)),
    )
    assert {f.reason for f in v.failures} == {
        m.Reason.ALREADY_USED,
        m.Reason.EXPIRED,
        m.Reason.WRONG_STORE,
        m.Reason.WRONG_CHANNEL,
        m.Reason.TIER_NOT_ELIGIBLE,
        m.Reason.BELOW_THRESHOLD,
        m.Reason.LIMIT_REACHED,
        m.Reason.NOT_STACKABLE,
    }
    assert v.discount_fen == 0


def test_descriptions():
    until = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)
    assert m.describe(m.Terms(m.Kind.AMOUNT_OFF, ladder=((10_000, 2_000),)), until, None) == (
        "满100减20, 2026-12-31 前有效"
    )
    assert m.describe(LADDER, None, 14) == "满100减20，满200减50, 领取后 14 天内有效"
    pct = m.Terms(m.Kind.PERCENT_OFF, percent_off=15, cap_fen=3_050)
    assert m.describe(pct, until, None) == "8.5折 最高减30.5, 2026-12-31 前有效"
    assert m.describe(m.Terms(m.Kind.AMOUNT_OFF, ladder=((0, 1_500),)), until, None).startswith(
        "立减15,"
    )


def test_validity_runs_to_the_end_of_the_shanghai_day():
    issued = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)  # 23:30 on 2 December in Shanghai
    start, end = m.validity(issued, None, None, 2)
    assert start == issued
    assert end == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # midnight ending 4 December


def test_period_starts():
    at = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # Wednesday
    assert m.period_start(m.Period.DAY, at) == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert m.period_start(m.Period.WEEK, at) == datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
    assert m.period_start(m.Period.MONTH, at) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def test_draws_follow_the_weights_and_codes_are_unguessable():
    prizes = (m.Prize("券", 1, "T1"), m.Prize("谢谢参与", 3))
    assert Counter(m.draw(prizes, roll).name for roll in range(4)) == {"券": 1, "谢谢参与": 3}
    with pytest.raises(ValueError):
        m.draw(prizes, 4)
    with pytest.raises(InvalidInput):
        m.check_prizes((m.Prize("x", 0),))
    codes = {m.new_code() for _ in range(2_000)}
    assert len(codes) == 2_000
    assert all(len(c) == m.CODE_LENGTH and set(c) <= set(m.CODE_ALPHABET) for c in codes)
    assert m.normalise_code(" ab-cd ef ") == "ABCDEF"
