"""Message rows that change by conditional update: the send lease and the body purge."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

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
