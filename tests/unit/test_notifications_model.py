"""Pure notification rules (DOMAIN.md, "Never spam"): consent, the weekly cap and quiet
hours decide whether a marketing message goes now, later or not at all; transactional
messages skip them; templates render with their variables."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from domain.notifications.model import (
    Channel,
    Purpose,
    UnknownTemplate,
    decide,
    parse_quiet_hours,
    quiet_until,
    render,
)

QUIET = parse_quiet_hours("21:00-08:00")  # Asia/Shanghai
AFTERNOON = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
LATE = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
EARLY = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)  # 06:00 on the 26th in Shanghai
MORNING_26 = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 08:00 on the 26th in Shanghai


def marketing(now: datetime = AFTERNOON, *, consented: bool = True, sent: int = 0):
    return decide(
        purpose=Purpose.MARKETING,
        channel=Channel.SMS,
        consented=consented,
        sent_in_week=sent,
        weekly_cap=2,
        now=now,
        quiet=QUIET,
    )


def test_quiet_hours_are_parsed_as_shanghai_times():
    assert QUIET == (time(21, 0), time(8, 0))


def test_a_consented_marketing_message_in_the_day_goes_now():
    d = marketing()
    assert (d.status, d.send_after) == ("QUEUED", None)


def test_without_consent_or_over_the_weekly_cap_it_never_goes():
    no = marketing(consented=False)
    assert (no.status, no.reason) == ("SUPPRESSED", "no consent for MARKETING_SMS")
    capped = marketing(sent=2)
    assert capped.status == "SUPPRESSED" and "frequency cap" in capped.reason
    assert marketing(sent=1).status == "QUEUED"


def test_in_quiet_hours_it_waits_for_the_morning():
    for now in (LATE, EARLY):
        d = marketing(now)
        assert (d.status, d.reason, d.send_after) == ("DEFERRED", "quiet hours", MORNING_26)


def test_the_quiet_period_ends_at_its_end_time_across_midnight():
    assert quiet_until(LATE, *QUIET) == MORNING_26  # before midnight: the next morning
    assert quiet_until(EARLY, *QUIET) == MORNING_26  # after midnight: the same morning
    assert quiet_until(MORNING_26, *QUIET) is None  # 08:00 itself is outside
    assert quiet_until(datetime(2026, 11, 25, 13, 0, tzinfo=UTC), *QUIET) == MORNING_26  # 21:00


def test_a_quiet_period_within_one_day():
    lunch = (time(12, 0), time(13, 30))
    assert quiet_until(datetime(2026, 11, 25, 4, 15, tzinfo=UTC), *lunch) == datetime(
        2026, 11, 25, 5, 30, tzinfo=UTC
    )
    assert quiet_until(AFTERNOON, *lunch) is None


def test_transactional_messages_skip_consent_cap_and_quiet_hours():
    d = decide(
        purpose=Purpose.TRANSACTIONAL,
        channel=Channel.SMS,
        consented=False,
        sent_in_week=99,
        weekly_cap=2,
        now=LATE,
        quiet=QUIET,
    )
    assert (d.status, d.send_after) == ("QUEUED", None)


def test_templates_render_their_variables_per_channel():
    text = render("points_expiring", Channel.SMS, {"points": 150, "date": "2027-12-31"})
    assert text.startswith("【鲜选会员】") and "150 积分" in text and "2027-12-31" in text
    assert render("otp", Channel.SMS, {"code": "123456", "minutes": 5}).startswith(
        "【鲜选会员】验证码 123456，5 分钟内有效"
    )
    with pytest.raises(UnknownTemplate):
        render("otp", Channel.EMAIL, {"code": "1", "minutes": 5})
