"""Every read and write of the outbox and the dead letters. A relay claims events by
conditional update, so only one wins each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from domain import clock
from domain.events.tables import DeadLetter, OutboxEvent


async def add_event(topic: str, payload: dict[str, Any], created_at: datetime) -> OutboxEvent:
    return await OutboxEvent.create(topic=topic, payload=payload, created_at=created_at)


async def add_events(events: list[tuple[str, dict[str, Any]]], created_at: datetime) -> None:
    """(topic, payload) pairs in one bulk insert."""
    await OutboxEvent.bulk_create(
        [OutboxEvent(topic=t, payload=p, created_at=created_at) for t, p in events],
        batch_size=1_000,
    )


async def claim(lease: timedelta, limit: int = 100) -> list[OutboxEvent]:
    now = clock.now()
    free = Q(dispatched_at=None) & (Q(claimed_until=None) | Q(claimed_until__lt=now))
    candidates = await OutboxEvent.filter(free).order_by("id").limit(limit)
    claimed = []
    for event in candidates:  # conditional update per row: only one relay wins each
        won = await OutboxEvent.filter(Q(id=event.id) & free).update(claimed_until=now + lease)
        if won:
            claimed.append(event)
    return claimed


async def mark_dispatched(event_id: int) -> None:
    await OutboxEvent.filter(id=event_id).update(dispatched_at=clock.now(), claimed_until=None)


async def release(event_id: int) -> None:
    """Give an undispatched event's claim back."""
    await OutboxEvent.filter(id=event_id, dispatched_at=None).update(claimed_until=None)


async def undispatched_count() -> int:
    return await OutboxEvent.filter(dispatched_at=None).count()


# --- dead letters ---------------------------------------------------------------------------


async def add_dead_letter(**values: Any) -> None:
    """Insert a dead letter (IntegrityError when its ``message_id`` is kept already)."""
    await DeadLetter.create(**values)


async def dead_letter_rows(
    *, after_id: int | None, limit: int, waiting_only: bool, columns: Sequence[str]
) -> list[dict]:
    """Up to ``limit`` dead letters before ``after_id``, newest first, as dict rows."""
    qs = DeadLetter.all()
    if waiting_only:
        qs = qs.filter(replayed_at=None)
    if after_id is not None:
        qs = qs.filter(id__lt=after_id)
    return await qs.order_by("-id").limit(limit).values(*columns)


async def waiting_dead_letters() -> int:
    """Dead letters not replayed yet."""
    return await DeadLetter.filter(replayed_at=None).count()


async def dead_letter_or_none(dead_id: int) -> DeadLetter | None:
    return await DeadLetter.get_or_none(id=dead_id)


async def mark_replayed(dead_id: int, at: datetime) -> int:
    """Not replayed -> replayed ``at``; 0: replayed already."""
    return await DeadLetter.filter(id=dead_id, replayed_at=None).update(replayed_at=at)


async def dead_letter_rows_by_ids(ids: list[int], columns: Sequence[str]) -> list[dict]:
    return await DeadLetter.filter(id__in=ids).values(*columns)
