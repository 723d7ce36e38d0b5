"""Write events with the change; hand them to the queue after commit.

``record`` runs inside the service's transaction. ``claim`` / ``mark_dispatched`` /
``release`` are the relay's steps: a claim is a lease (``claimed_until``), so two
relays never send one event at the same moment, and an event whose relay died
mid-send is sent again when the lease runs out (consumers are idempotent by id).
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from domain import clock
from domain.events import store
from domain.events.tables import OutboxEvent

LEASE = timedelta(seconds=30)
_recorded: ContextVar[list[tuple[str, tuple[int, ...]]] | None] = ContextVar(
    "outbox_recorded", default=None
)
MEMBER_KEYS = ("member_id", "survivor", "absorbed")  # payload keys that name a member


def watch() -> list[tuple[str, tuple[int, ...]]]:
    """From here on in this context, the (topic, member ids) of each event ``record``
    writes: the API, after a mutation, relays only when there is something to relay
    and forgets those members' cached home answers."""
    recorded: list[tuple[str, tuple[int, ...]]] = []
    _recorded.set(recorded)
    return recorded


async def record(topic: str, payload: dict[str, Any]) -> OutboxEvent:
    event = await OutboxEvent.create(topic=topic, payload=payload, created_at=clock.now())
    watching = _recorded.get()
    if watching is not None:
        watching.append((topic, members_of(payload)))
    return event


async def record_many(events: list[tuple[str, dict[str, Any]]]) -> None:
    """``record`` for a batch's events, in one bulk insert (set-based jobs)."""
    if not events:
        return
    now = clock.now()
    await OutboxEvent.bulk_create(
        [OutboxEvent(topic=t, payload=p, created_at=now) for t, p in events], batch_size=1_000
    )


def members_of(payload: dict[str, Any]) -> tuple[int, ...]:
    """The members an event is about."""
    return tuple(v for k in MEMBER_KEYS if isinstance(v := payload.get(k), int))


async def claim(limit: int = 100) -> list[OutboxEvent]:
    return await store.claim(LEASE, limit)


async def mark_dispatched(event_id: int) -> None:
    await OutboxEvent.filter(id=event_id).update(dispatched_at=clock.now(), claimed_until=None)


async def release(event_id: int) -> None:
    await OutboxEvent.filter(id=event_id, dispatched_at=None).update(claimed_until=None)


async def undispatched_count() -> int:
    return await OutboxEvent.filter(dispatched_at=None).count()
