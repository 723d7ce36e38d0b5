"""Dead letters: jobs that failed every retry, kept for admins to see and replay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from domain import clock
from domain.db import IntegrityError
from domain.errors import Conflict, NotFound
from domain.events import store

if TYPE_CHECKING:
    from domain.events.tables import DeadLetter


async def record(
    *, actor: str, queue: str, message_id: str, args: list, kwargs: dict, error: str, retries: int
) -> None:
    """Keep a failed job (once per message id: a redelivered failure is not doubled)."""
    try:
        await store.add_dead_letter(
            actor=actor,
            queue=queue,
            message_id=message_id,
            args=list(args),
            kwargs=dict(kwargs),
            error=error[-4000:],
            retries=retries,
            failed_at=clock.now(),
        )
    except IntegrityError:
        pass


@dataclass(frozen=True)
class DeadLetterRow:
    id: int
    actor: str
    queue: str
    args: list
    kwargs: dict
    error: str
    retries: int
    failed_at: datetime
    replayed_at: datetime | None


_COLUMNS = tuple(DeadLetterRow.__dataclass_fields__)


async def page(*, after_id: int | None, limit: int, waiting_only: bool) -> tuple[list, bool]:
    rows = await store.dead_letter_rows(
        after_id=after_id, limit=limit + 1, waiting_only=waiting_only, columns=_COLUMNS
    )
    return [DeadLetterRow(**r) for r in rows[:limit]], len(rows) > limit


async def waiting() -> int:
    return await store.waiting_dead_letters()


async def take_for_replay(dead_id: int) -> DeadLetter:
    """Mark a dead letter replayed (once) and return it for the caller to send."""
    row = await store.dead_letter_or_none(dead_id)
    if row is None:
        raise NotFound("No such dead letter.", field="id")
    won = await store.mark_replayed(dead_id, clock.now())
    if not won:
        raise Conflict("This dead letter was already replayed.")
    return row


async def by_ids(ids: list[int]) -> dict[int, DeadLetterRow]:
    rows = await store.dead_letter_rows_by_ids(ids, _COLUMNS)
    return {r["id"]: DeadLetterRow(**r) for r in rows}
