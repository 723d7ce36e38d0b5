"""The clock helpers: storage is UTC, business days are Asia/Shanghai, a caller's time
without an offset is UTC, and a time no datetime can show is InvalidInput."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain import clock
from domain.errors import InvalidInput


@pytest.fixture
def moved_clock() -> Iterator[None]:
    yield
    clock.reset()


def test_a_business_day_starts_at_shanghai_midnight():
    assert clock.day_start(date(2026, 11, 25)) == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def test_the_business_date_of_an_instant_is_the_shanghai_one():
    assert clock.business_date(datetime(2026, 11, 24, 15, 59, tzinfo=UTC)) == date(2026, 11, 24)
    assert clock.business_date(datetime(2026, 11, 24, 16, 0, tzinfo=UTC)) == date(2026, 11, 25)


def test_caller_times_are_stored_in_utc_and_naive_ones_are_utc():
    shanghai = timezone(timedelta(hours=8))
    at = clock.utc_input(datetime(2026, 11, 25, 8, 0, tzinfo=shanghai), "paidAt")
    assert at == datetime(2026, 11, 25, 0, 0, tzinfo=UTC) and at.tzinfo is UTC
    assert clock.utc_input(datetime(2026, 11, 25, 8, 0), "paidAt") == datetime(
        2026, 11, 25, 8, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "at",
    [
        datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=14))),
        datetime(9999, 12, 31, 23, 0, tzinfo=UTC),  # its Shanghai date is past year 9999
    ],
)
def test_times_out_of_range_are_invalid_input_naming_the_field(at):
    with pytest.raises(InvalidInput) as err:
        clock.utc_input(at, "validUntil")
    assert err.value.field == "validUntil"


def test_advancing_the_clock_moves_now_and_reset_brings_it_back(moved_clock):
    before = clock.now()
    clock.advance(timedelta(days=3))
    assert clock.now() - before >= timedelta(days=3)
    clock.reset()
    assert clock.now() - before < timedelta(days=1)
