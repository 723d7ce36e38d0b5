"""Write events with the change; hand them to the queue after commit.

``record`` runs inside the service's transaction. ``claim`` / ``mark_dispatched`` /
``release`` are the relay's steps: a claim is a lease (``claimed_until``), so two
relays never send one event at the same moment, and an event whose relay died
mid-send is sent again when the lease runs out (consumers are idempotent by id).

One hook (``on_member_events``; the member-home cache installs it) hears which members
recorded events name, once those events have committed: after the API's mutation
(``settle``) and when the relay claims events recorded anywhere else (``claim``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from domain import clock
from domain.events import store

if TYPE_CHECKING:
    from domain.events.tables import OutboxEvent

log = logging.getLogger(__name__)
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
    event = await store.add_event(topic, payload, clock.now())
    watching = _recorded.get()
    if watching is not None:
        watching.append((topic, members_of(payload)))
    return event


async def record_many(events: list[tuple[str, dict[str, Any]]]) -> None:
    """``record`` for a batch's events, in one bulk insert (set-based jobs)."""
    if not events:
        return
    await store.add_events(events, clock.now())


def members_of(payload: dict[str, Any]) -> tuple[int, ...]:
    """The members an event is about."""
    return tuple(v for k in MEMBER_KEYS if isinstance(v := payload.get(k), int))


# --- the member hook ------------------------------------------------------------------------

MemberHook = Callable[[set[int]], Awaitable[None]]
_member_hook: MemberHook | None = None


def on_member_events(hook: MemberHook | None) -> None:
    """The one hook told which members committed events name (None: nobody listens)."""
    global _member_hook
    _member_hook = hook


async def settle(recorded: list[tuple[str, tuple[int, ...]]], also: Iterable[int] = ()) -> None:
    """The events ``watch`` saw (and a change to ``also``) have committed: tell the hook."""
    await _tell({m for _topic, ids in recorded for m in ids} | set(also))


async def _tell(members: set[int]) -> None:
    if not members or _member_hook is None:
        return
    try:
        await _member_hook(members)
    except Exception as exc:  # committed already: a listener's failure holds nothing back
        log.warning("member-event hook failed (%s)", exc)


async def claim(limit: int = 100) -> list[OutboxEvent]:
    claimed = await store.claim(LEASE, limit)
    await _tell({m for event in claimed for m in members_of(event.payload)})
    return claimed


async def mark_dispatched(event_id: int) -> None:
    await store.mark_dispatched(event_id)


async def release(event_id: int) -> None:
    await store.release(event_id)


async def undispatched_count() -> int:
    return await store.undispatched_count()
