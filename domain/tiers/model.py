"""Pure tier rules: which rung a measure reaches, and what may change when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ChangeReason(StrEnum):
    """Why a member's tier changed (tier history)."""

    UPGRADE = "UPGRADE"
    DOWNGRADE = "DOWNGRADE"
    OVERRIDE = "OVERRIDE"
    MERGE = "MERGE"


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


def next_rung(ladder: list[Rung], current: Rung) -> Rung | None:
    higher = [r for r in ladder if r.rank > current.rank]
    return min(higher, key=lambda r: r.rank) if higher else None


@dataclass(frozen=True)
class Progress:
    current: Rung
    next: Rung | None
    measure: int
    to_next: int  # 0 at the top
    to_keep: int  # what is still missing to keep the current tier at the review
    review_at: datetime | None


def progress(
    ladder: list[Rung], current: Rung, measure: int, review_at: datetime | None
) -> Progress:
    up = next_rung(ladder, current)
    return Progress(
        current=current,
        next=up,
        measure=measure,
        to_next=max(up.threshold - measure, 0) if up else 0,
        to_keep=max(current.threshold - measure, 0),
        review_at=review_at,
    )


def upgrade_due(current_rank: int | None, target_rank: int, override_active: bool) -> bool:
    """On an event: only ever up, at once; never while staff hold an override."""
    return not override_active and (current_rank is None or target_rank > current_rank)


def review_window(review_at: datetime, grace_days: int) -> tuple[datetime, datetime]:
    """(review, downgrade): a tier failing its review falls after the grace period."""
    return review_at, review_at + timedelta(days=grace_days)
