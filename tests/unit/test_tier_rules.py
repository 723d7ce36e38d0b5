"""Pure tier rules (domain.tiers.model) and the urgency of messages: no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.notifications.model import (
    TEMPLATES,
    URGENCY,
    Channel,
    Purpose,
    Urgency,
    decide,
    hold_for_quiet_hours,
    parse_quiet_hours,
    urgency_of,
)
from domain.tiers.model import (
    ChangeReason,
    ReviewReminder,
    Rung,
    TierChanged,
    is_base,
    next_goal,
    progress,
    qualifying,
    upgrade_due,
)

REGULAR = Rung(1, "REGULAR", "普通会员", 0, 0)
SILVER = Rung(2, "SILVER", "银卡会员", 1, 200_000)
GOLD = Rung(3, "GOLD", "金卡会员", 2, 800_000)
DIAMOND = Rung(4, "DIAMOND", "钻石会员", 3, 2_000_000)
LADDER = [GOLD, REGULAR, DIAMOND, SILVER]  # any order: the rules sort by rank
REVIEW = datetime(2027, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("measure", "code"),
    [
        (0, "REGULAR"),
        (199_999, "REGULAR"),
        (200_000, "SILVER"),
        (800_000, "GOLD"),
        (10**9, "DIAMOND"),
    ],
)
def test_qualifying_is_the_highest_rung_reached(measure, code):
    assert qualifying(LADDER, measure).code == code


def test_only_the_lowest_rung_is_the_base():
    assert is_base(LADDER, REGULAR) and not is_base(LADDER, SILVER)


@pytest.mark.parametrize("current", [REGULAR, SILVER, GOLD])
@pytest.mark.parametrize("measure", [0, 1, 199_999, 200_000, 500_000, 800_000, 1_999_999])
def test_below_the_top_there_is_always_something_left_to_spend(current, measure):
    p = progress(LADDER, current, measure, REVIEW)
    assert p.next is not None and p.next.rank > current.rank
    assert p.to_next == p.next.threshold - measure > 0


def test_the_goal_skips_rungs_already_reached():
    """Placed on regular (or not yet placed), silver reached: the goal is gold."""
    p = progress(LADDER, REGULAR, 300_000, None)
    assert (p.next, p.to_next) == (GOLD, 500_000)
    assert next_goal(LADDER, SILVER, 2_000_000) is None  # diamond reached: nothing left


def test_at_the_top_nothing_is_left():
    p = progress(LADDER, DIAMOND, 2_500_000, REVIEW)
    assert (p.next, p.to_next, p.to_keep, p.review_at) == (None, 0, 0, REVIEW)


def test_the_base_rung_has_no_review():
    p = progress(LADDER, REGULAR, 10_000, REVIEW)  # a review date left from a downgrade
    assert (p.review_at, p.to_keep) == (None, 0)
    kept = progress(LADDER, GOLD, 500_000, REVIEW)
    assert (kept.review_at, kept.to_keep) == (REVIEW, 300_000)


@pytest.mark.parametrize(
    ("current", "target", "overridden", "due"),
    [
        (None, 0, False, True),
        (0, 1, False, True),
        (1, 1, False, False),
        (2, 1, False, False),
        (0, 2, True, False),
    ],
)
def test_events_only_ever_upgrade_and_never_under_an_override(current, target, overridden, due):
    assert upgrade_due(current, target, overridden) is due


def test_one_tier_changed_payload():
    event = TierChanged(7, 42, "SILVER", "GOLD", ChangeReason.UPGRADE, REVIEW)
    assert event.topic == "tier.changed"
    assert event.payload() == {
        "member_id": 7,
        "history_id": 42,
        "from": "SILVER",
        "to": "GOLD",
        "reason": "UPGRADE",
        "review_at": "2027-06-01T00:00:00+00:00",
    }
    placed = TierChanged(7, 43, None, "REGULAR", ChangeReason.DOWNGRADE, None).payload()
    assert (placed["from"], placed["review_at"]) == (None, None)


def test_review_reminder_payload():
    event = ReviewReminder(7, "GOLD", REVIEW)
    assert event.topic == "tier.review_reminder"
    assert event.payload() == {
        "member_id": 7,
        "to": "GOLD",
        "reason": "REMIND",
        "review_at": "2027-06-01T00:00:00+00:00",
    }


QUIET = parse_quiet_hours("21:00-09:00")
NIGHT = datetime(2026, 12, 2, 18, 30, tzinfo=UTC)  # 02:30 in Shanghai
NOON = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


def test_codes_go_at_night_tier_news_waits_for_morning():
    assert hold_for_quiet_hours(Urgency.URGENT, NIGHT, QUIET).status == "QUEUED"
    held = hold_for_quiet_hours(Urgency.DEFERRABLE, NIGHT, QUIET)
    assert (held.status, held.reason) == ("DEFERRED", "quiet hours")
    assert held.send_after == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert hold_for_quiet_hours(Urgency.DEFERRABLE, NOON, QUIET).status == "QUEUED"
    none = parse_quiet_hours("00:00-00:00")  # an empty window: no quiet hours at all
    assert hold_for_quiet_hours(Urgency.DEFERRABLE, NIGHT, none).status == "QUEUED"
    d = decide(
        purpose=Purpose.TRANSACTIONAL,
        channel=Channel.SMS,
        consented=False,
        sent_in_week=99,
        weekly_cap=3,
        now=NIGHT,
        quiet=QUIET,
        urgency=Urgency.DEFERRABLE,
    )
    assert d == held  # consent and the cap do not apply, quiet hours do


def test_every_template_has_an_urgency_and_only_codes_are_urgent():
    assert {name for name, _channel in TEMPLATES} == set(URGENCY)
    assert [t for t in URGENCY if urgency_of(t) is Urgency.URGENT] == ["otp"]
    assert urgency_of("a_new_template") is Urgency.DEFERRABLE  # unclassified: waits
