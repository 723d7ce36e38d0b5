"""Pure tier rules: which rung a measure reaches, what may change when, and the one
definition of the events a change of tier writes (the per-order path and the nightly
batch build them with the same constructors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

TOPIC_TIER_CHANGED = "tier.changed"
TOPIC_REVIEW_REMINDER = "tier.review_reminder"


@dataclass(frozen=True)
class Rung:
    id: int
    code: str
    name: str
    rank: int
    threshold: int  # fen of qualifying spend, or points, by TIER_MEASURE


def qualifying(ladder: list[Rung], measure: int) -> Rung:
    """The highest rung whose threshold ``measure`` reaches (the lowest rung always)."""
    ordered = sorted(ladder, key=lambda r: r.rank)
    best = ordered[0]
    for rung in ordered:
        if measure >= rung.threshold:
            best = rung
    return best


def is_base(ladder: list[Rung], rung: Rung) -> bool:
    """The lowest rung: nothing to fall to, so nothing to review."""
    return rung.rank == min(r.rank for r in ladder)


def next_goal(ladder: list[Rung], current: Rung, measure: int) -> Rung | None:
    """The lowest rung above ``current`` that ``measure`` has not reached yet: what the
    member is working towards. None when every higher rung is reached (at the top, or an
    upgrade to the top on its way)."""
    ahead = [r for r in ladder if r.rank > current.rank and r.threshold > measure]
    return min(ahead, key=lambda r: r.rank) if ahead else None


@dataclass(frozen=True)
class Progress:
    current: Rung
    next: Rung | None
    measure: int
    to_next: int  # > 0 whenever ``next`` is set; 0 only with nothing left to reach
    to_keep: int  # what is still missing to keep the current tier at the review
    review_at: datetime | None  # None on the base rung (it is never reviewed)


def progress(
    ladder: list[Rung], current: Rung, measure: int, review_at: datetime | None
) -> Progress:
    up = next_goal(ladder, current, measure)
    base = is_base(ladder, current)
    return Progress(
        current=current,
        next=up,
        measure=measure,
        to_next=up.threshold - measure if up else 0,
        to_keep=0 if base else max(current.threshold - measure, 0),
        review_at=None if base else review_at,
    )


def upgrade_due(current_rank: int | None, target_rank: int, override_active: bool) -> bool:
    """On an event: only ever up, at once; never while staff hold an override."""
    return not override_active and (current_rank is None or target_rank > current_rank)


class ChangeReason(StrEnum):
    """Why a member's tier changed (tier history and the ``tier.changed`` event)."""

    UPGRADE = "UPGRADE"
    DOWNGRADE = "DOWNGRADE"
    OVERRIDE = "OVERRIDE"
    MERGE = "MERGE"  # a merged member takes the higher of the two tiers


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


@dataclass(frozen=True)
class TierChanged:
    """The ``tier.changed`` event: one per tier history row, whichever path wrote it.
    ``review_at`` is the member's next review (None on the base rung)."""

    member_id: int
    history_id: int
    from_code: str | None
    to_code: str
    reason: ChangeReason
    review_at: datetime | None

    topic: ClassVar[str] = TOPIC_TIER_CHANGED

    def payload(self) -> dict[str, Any]:
        """The outbox JSON (keys the consumers in ``workers.dispatch`` read)."""
        return {
            "member_id": self.member_id,
            "history_id": self.history_id,
            "from": self.from_code,
            "to": self.to_code,
            "reason": self.reason.value,
            "review_at": _iso(self.review_at),
        }


@dataclass(frozen=True)
class ReviewReminder:
    """The ``tier.review_reminder`` event: the review on ``review_at`` would fail."""

    member_id: int
    tier_code: str
    review_at: datetime

    topic: ClassVar[str] = TOPIC_REVIEW_REMINDER
    reason: ClassVar[str] = "REMIND"

    def payload(self) -> dict[str, Any]:
        return {
            "member_id": self.member_id,
            "to": self.tier_code,
            "reason": self.reason,
            "review_at": _iso(self.review_at),
        }
