"""Marketing messages: consent, a weekly cap per member and channel, quiet hours.

Every attempt is stored, with its outcome: QUEUED (sent by the worker), DEFERRED until
quiet hours end (``release_deferred`` queues it then), or SUPPRESSED with the reason,
so staff can see what a member was sent and why not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain import clock
from domain.auth.model import Principal
from domain.db import in_transaction
from domain.events import outbox
from domain.members import consents, store
from domain.members.model import ConsentPurpose, IdentityChannel
from domain.members.scope import get_visible
from domain.notifications import sealing
from domain.notifications import store as messages
from domain.notifications.model import (
    MARKETING_CONSENT,
    Channel,
    Decision,
    Purpose,
    decide,
    parse_quiet_hours,
)
from domain.notifications.services import RECIPIENT_CONTEXT, TOPIC_REQUESTED
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.members.tables import Member
    from domain.notifications.tables import Message

COUNTED = ("QUEUED", "SENDING", "SENT", "DEFERRED")


async def _recipient(rt: Runtime, member: Member, channel: Channel) -> str | None:
    if channel is Channel.SMS:
        return store.phone_of(rt, member)
    if channel is Channel.PUSH:
        return f"member:{member.id}"  # the app registers its device under this alias
    if channel is Channel.MINI_PROGRAM:
        return await store.identity_external_id(
            member.id, IdentityChannel.MINI_PROGRAM_OPENID.value
        )
    return None  # no e-mail address is collected for members


async def send_marketing(
    rt: Runtime,
    *,
    member_id: int,
    channel: Channel,
    template: str,
    variables: dict[str, object],
    dedupe_key: str | None = None,
) -> Message:
    """Record a marketing message and what the rules decided for it."""
    s = rt.settings
    now = clock.now()
    if dedupe_key and (seen := await messages.by_dedupe_key_or_none(dedupe_key)):
        return seen  # the same event delivered again
    async with in_transaction():
        member = await store.lock(member_id)  # serialises the cap
        recipient = await _recipient(rt, member, channel)
        sent = await messages.count_sent(
            member_id, channel.value, Purpose.MARKETING.value, COUNTED, now - timedelta(days=7)
        )
        decision = (
            Decision("SUPPRESSED", f"no {channel} address")
            if recipient is None
            else decide(
                purpose=Purpose.MARKETING,
                channel=channel,
                consented=await consents.granted(
                    member_id, ConsentPurpose(MARKETING_CONSENT[channel])
                ),
                sent_in_week=sent,
                weekly_cap=s.marketing_weekly_cap,
                now=now,
                quiet=parse_quiet_hours(s.quiet_hours),
            )
        )
        message = await messages.add(
            member_id=member_id,
            channel=channel.value,
            recipient_enc=rt.cipher.encrypt(recipient or "", context=RECIPIENT_CONTEXT),
            template=template,
            purpose=Purpose.MARKETING.value,
            status=decision.status,
            reason=decision.reason,
            send_after=decision.send_after,
            created_at=now,
            dedupe_key=dedupe_key,
            **sealing.seal(rt.cipher, template, channel, variables),
        )
        if decision.status == "QUEUED":
            await outbox.record(TOPIC_REQUESTED, {"message_id": message.id})
    return message


async def release_deferred() -> int:
    """Queue deferred messages whose quiet hours are over. Returns how many."""
    now = clock.now()
    released = 0
    for message in await messages.deferred_due(now):
        async with in_transaction():
            won = await messages.queue_deferred(message.id)
            if won:
                await outbox.record(TOPIC_REQUESTED, {"message_id": message.id})
                released += 1
    return released


@dataclass(frozen=True)
class MessageRow:
    id: int
    channel: str
    template: str
    purpose: str
    status: str
    reason: str
    adapter: str
    body: str
    send_after: datetime | None
    created_at: datetime
    sent_at: datetime | None


async def of_member(rt: Runtime, viewer: Principal, member_id: int, limit: int) -> list[MessageRow]:
    """What was sent to a member in the viewer's scope, deferred or suppressed, and why."""
    member = await get_visible(rt.settings, viewer, member_id)
    rows = await messages.rows_of_member(member.id, limit, _COLUMNS)
    return [row for _member_id, row in _opened(rt, rows)]


async def by_ids(rt: Runtime, ids: list[int]) -> dict[int, tuple[int | None, MessageRow]]:
    """Messages by id with their member (for ``node``; the caller applies member scope)."""
    return {
        row.id: (member_id, row)
        for member_id, row in _opened(rt, await messages.rows_by_ids(ids, _COLUMNS))
    }


_FIELDS = [f for f in MessageRow.__dataclass_fields__ if f != "body"]
_COLUMNS = (*_FIELDS, "body_enc", "member_id")


def _opened(rt: Runtime, rows: list[dict[str, Any]]) -> list[tuple[int | None, MessageRow]]:
    """The rows with the body opened (it is sealed at rest)."""
    out = []
    for r in rows:
        r["body"] = sealing.body_of(rt.cipher, r.pop("body_enc"))
        out.append((r.pop("member_id"), MessageRow(**r)))
    return out
