"""Pure order rules: the paidAt window, the dates of an order's lot, the frozen check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.errors import InvalidInput, MemberFrozen, PaidAtOutOfRange
from domain.members.model import Status, refuse_frozen
from domain.orders.model import PaidAtWindow, check_paid_at, earn_dates
from domain.points.model import lot_expiry

NOW = datetime(2027, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 on 5 January in Shanghai
WINDOW = PaidAtWindow(max_age=timedelta(days=30), clock_skew=timedelta(seconds=300))


@pytest.mark.parametrize(
    "paid_at",
    [
        NOW,
        NOW - timedelta(days=30),  # the oldest accepted, inclusive
        NOW + timedelta(seconds=300),  # the latest accepted, inclusive
        (NOW - timedelta(days=3)).astimezone(timezone(timedelta(hours=8))),  # any offset
    ],
)
def test_paid_at_inside_the_window_is_accepted(paid_at):
    check_paid_at(paid_at, NOW, WINDOW)


@pytest.mark.parametrize(
    ("paid_at", "words"),
    [
        (NOW - timedelta(days=30, microseconds=1), "more than 30 days ago"),
        (datetime(2023, 5, 1, tzinfo=UTC), "more than 30 days ago"),
        (NOW + timedelta(seconds=300, microseconds=1), "in the future"),
    ],
)
def test_paid_at_outside_the_window_names_the_window(paid_at, words):
    with pytest.raises(PaidAtOutOfRange) as refused:
        check_paid_at(paid_at, NOW, WINDOW)
    e = refused.value
    assert words in e.message
    assert (e.field, e.earliest, e.latest) == (
        "paidAt",
        NOW - timedelta(days=30),
        NOW + timedelta(seconds=300),
    )
    assert isinstance(e, InvalidInput)  # callers that handle bad input handle it too


def test_paid_at_without_an_offset_is_invalid_not_out_of_range():
    with pytest.raises(InvalidInput) as refused:
        check_paid_at(NOW.replace(tzinfo=None), NOW, WINDOW)
    assert type(refused.value) is InvalidInput and refused.value.field == "paidAt"


def test_the_window_follows_its_settings():
    wide = PaidAtWindow(max_age=timedelta(days=3660), clock_skew=timedelta(0))
    check_paid_at(datetime(2023, 5, 1, tzinfo=UTC), NOW, wide)
    with pytest.raises(PaidAtOutOfRange):
        check_paid_at(NOW + timedelta(seconds=1), NOW, wide)


def test_a_lot_is_pending_from_paid_at_and_live_until_its_expiry():
    paid = NOW - timedelta(days=2)
    d = earn_dates(paid, NOW, timedelta(days=7), lot_expiry(paid, 1))
    assert (d.available_at, d.expires_at, d.expired) == (
        paid + timedelta(days=7),
        datetime(2028, 12, 31, 16, tzinfo=UTC),  # 2029-01-01 00:00 in Shanghai
        False,
    )


@pytest.mark.parametrize(
    ("paid_at", "extra_years", "expired"),
    [
        (datetime(2026, 12, 28, 4, tzinfo=UTC), 0, True),  # late December, posted in January
        (datetime(2026, 12, 28, 4, tzinfo=UTC), 1, False),
        (datetime(2024, 6, 1, 4, tzinfo=UTC), 1, True),  # the 2024 order
        (datetime(2026, 12, 31, 17, tzinfo=UTC), 0, False),  # 1 January in Shanghai already
    ],
)
def test_a_lot_past_its_expiry_when_written_is_expired(paid_at, extra_years, expired):
    d = earn_dates(paid_at, NOW, timedelta(days=7), lot_expiry(paid_at, extra_years))
    assert d.expired is expired


def test_a_lot_expiring_exactly_now_is_expired():
    assert earn_dates(NOW, NOW, timedelta(0), NOW).expired is True


def test_only_a_frozen_member_is_refused():
    with pytest.raises(MemberFrozen) as refused:
        refuse_frozen(Status.FROZEN.value)
    assert refused.value.code == "MEMBER_FROZEN"
    for status in (Status.ACTIVE, Status.ERASED, Status.MERGED):
        refuse_frozen(status.value)  # other states are refused elsewhere, for other reasons
