"""The outbox's claim: a relay takes events by conditional update, so only one wins each."""

from __future__ import annotations

from datetime import timedelta

from tortoise.expressions import Q

from domain import clock
from domain.events.tables import OutboxEvent


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
