"""Every read and write of message rows: adding one, the send lease and the outcome of a
send (conditional updates), the marketing cap's count, the deferred queue, staff's reads
and the body purge."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from domain.notifications.tables import Message


async def claim_for_sending(message_id: int, now: datetime, until: datetime) -> int:
    """QUEUED (or SENDING with a lapsed lease) -> SENDING until ``until``; 0: not free."""
    free = Q(status="QUEUED") | Q(status="SENDING", sending_until__lt=now)
    return await Message.filter(Q(id=message_id) & free).update(
        status="SENDING", sending_until=until
    )


async def blank_bodies(statuses: Iterable[str], before: datetime) -> int:
    """Blank text and variables of messages in ``statuses`` created before ``before``."""
    return await Message.filter(
        Q(status__in=statuses) & Q(created_at__lt=before) & (~Q(body_enc="") | ~Q(variables_enc=""))
    ).update(body_enc="", variables_enc="")


async def add(**values: Any) -> Message:
    """Insert a message (IntegrityError when its ``dedupe_key`` is taken)."""
    return await Message.create(**values)


async def get_or_none(message_id: int) -> Message | None:
    return await Message.get_or_none(id=message_id)


async def by_dedupe_key(dedupe_key: str | None) -> Message:
    """The message stored under ``dedupe_key`` (DoesNotExist when none)."""
    return await Message.get(dedupe_key=dedupe_key)


async def by_dedupe_key_or_none(dedupe_key: str) -> Message | None:
    return await Message.get_or_none(dedupe_key=dedupe_key)


async def is_sending(message_id: int) -> bool:
    return await Message.filter(id=message_id, status="SENDING").exists()


async def set_failed(message_id: int, reason: str, **done: Any) -> None:
    """The provider refused for good: FAILED with ``reason`` (and the lease's end)."""
    await Message.filter(id=message_id).update(status="FAILED", reason=reason, **done)


async def release_claim(message_id: int) -> None:
    """The send went wrong and will be retried: back to QUEUED, no lease."""
    await Message.filter(id=message_id).update(status="QUEUED", sending_until=None)


async def set_sent(message_id: int, sent_at: datetime, **done: Any) -> None:
    await Message.filter(id=message_id).update(status="SENT", sent_at=sent_at, **done)


async def count_sent(
    member_id: int, channel: str, purpose: str, statuses: Iterable[str], since: datetime
) -> int:
    """A member's messages on ``channel`` for ``purpose`` in ``statuses`` created after
    ``since`` (the weekly marketing cap)."""
    return await Message.filter(
        member_id=member_id,
        channel=channel,
        purpose=purpose,
        status__in=statuses,
        created_at__gt=since,
    ).count()


async def deferred_due(now: datetime) -> list[Message]:
    """DEFERRED messages whose ``send_after`` has come, oldest first."""
    return await Message.filter(status="DEFERRED", send_after__lte=now).order_by("id")


async def queue_deferred(message_id: int) -> int:
    """DEFERRED -> QUEUED; 0: someone else released it first."""
    return await Message.filter(id=message_id, status="DEFERRED").update(status="QUEUED")


async def rows_of_member(member_id: int, limit: int, columns: Iterable[str]) -> list[dict]:
    """The newest ``limit`` messages of a member, as dict rows of ``columns``."""
    return await Message.filter(member_id=member_id).order_by("-id").limit(limit).values(*columns)


async def rows_by_ids(ids: list[int], columns: Iterable[str]) -> list[dict]:
    return await Message.filter(id__in=ids).values(*columns)
