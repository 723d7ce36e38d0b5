"""The one place that reads the wall clock: services call ``clock.now()`` and
``clock.business_date()``, never ``datetime.now()``.

Business days and months are Asia/Shanghai; storage is UTC. The clock can be moved
(``advance``, ``moved_to``): by tests, and by ``loyalty jobs run NAME --at ISO-TIME``,
which runs one job as if it were that time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")

_offset = timedelta(0)


def now() -> datetime:
    """Current UTC time (timezone-aware), shifted by the offset if the clock was moved."""
    return datetime.now(UTC) + _offset


def business_date(at: datetime | None = None) -> date:
    """The Asia/Shanghai calendar date of ``at`` (default: now)."""
    return (at or now()).astimezone(SHANGHAI).date()


def utc(at: datetime) -> datetime:
    """``at`` in UTC, as everything is stored and compared (SQLite compares the text)."""
    return at.astimezone(UTC)


def utc_input(at: datetime, field: str) -> datetime:
    """A caller's time in UTC: InvalidInput naming ``field`` unless it has both a UTC
    instant and a business date that a datetime can hold (year 1 at +14:00, year 9999 at
    -12:00 or in the last hours of 9999 UTC raised OverflowError or ValueError, some only
    later, when the time was shown as a Shanghai date). A time without an offset is UTC."""
    if at.tzinfo is None:  # no offset: UTC, whatever the machine's own zone is
        at = at.replace(tzinfo=UTC)
    try:
        at = utc(at)
        at.astimezone(SHANGHAI)
    except (OverflowError, ValueError):
        raise InvalidInput("The time is out of range.", field=field) from None
    return at


def day_start(day: date) -> datetime:
    """The UTC instant a Shanghai business day starts."""
    return datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI).astimezone(UTC)


def advance(delta: timedelta) -> None:
    """Move the clock forward (tests only)."""
    global _offset
    _offset += delta


@contextmanager
def moved_to(at: datetime) -> Iterator[None]:
    """The clock reads ``at`` on entry (and runs on from there) until the block ends;
    ``loyalty jobs run --at`` runs a job inside it."""
    global _offset
    before = _offset
    _offset = at - datetime.now(UTC)
    try:
        yield
    finally:
        _offset = before


def reset() -> None:
    global _offset
    _offset = timedelta(0)
