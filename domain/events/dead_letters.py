"""Dead letters: jobs that failed every retry, kept for admins to see and replay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain import clock
from domain.db import IntegrityError
from domain.errors import Conflict, NotFound
from domain.events.tables import DeadLetter


async def record(
    *, actor: str, queue: str, message_id: str, args: list, kwargs: dict, error: str, retries: int
) -> None:
    """Keep a failed job (once per message id: a redelivered failure is not doubled)."""
    try:
        await DeadLetter.create(
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
    qs = DeadLetter.all()
    if waiting_only:
        qs = qs.filter(replayed_at=None)
    if after_id is not None:
        qs = qs.filter(id__lt=after_id)
    rows = await qs.order_by("-id").limit(limit + 1).values(*_COLUMNS)
    return [DeadLetterRow(**r) for r in rows[:limit]], len(rows) > limit


async def waiting() -> int:
    return await DeadLetter.filter(replayed_at=None).count()


async def take_for_replay(dead_id: int) -> DeadLetter:
    """Mark a dead letter replayed (once) and return it for the caller to send."""
    row = await DeadLetter.get_or_none(id=dead_id)
    if row is None:
        raise NotFound("No such dead letter.", field="id")
    won = await DeadLetter.filter(id=dead_id, replayed_at=None).update(replayed_at=clock.now())
    if not won:
        raise Conflict("This dead letter was already replayed.")
    return row


async def by_ids(ids: list[int]) -> dict[int, DeadLetterRow]:
    rows = await DeadLetter.filter(id__in=ids).values(*_COLUMNS)
    return {r["id"]: DeadLetterRow(**r) for r in rows}
