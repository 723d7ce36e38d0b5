"""Queue a message inside a business transaction; deliver it from a worker."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from domain import clock
from domain.db import IntegrityError, in_transaction
from domain.events import outbox
from domain.notifications import sealing, store
from domain.notifications.adapters import adapters_for
from domain.notifications.model import (
    Channel,
    Decision,
    PermanentProviderError,
    Purpose,
    Urgency,
    hold_for_quiet_hours,
    parse_quiet_hours,
    urgency_of,
)
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.notifications.tables import Message

RECIPIENT_CONTEXT = "messages.recipient"
TOPIC_REQUESTED = "notification.requested"


async def queue(
    rt: Runtime,
    *,
    channel: Channel,
    recipient: str,
    template: str,
    variables: dict[str, object],
    purpose: Purpose,
    member_id: int | None = None,
    dedupe_key: str | None = None,
    urgency: Urgency | None = None,
) -> Message:
    """Store the rendered message and its outbox event (call inside the transaction).
    With ``dedupe_key`` (e.g. the event id that caused it) a second call for the same
    key returns the first message: a redelivered event never sends twice.
    In quiet hours (QUIET_HOURS) a message that is not URGENT (``urgency``, by default
    the template's) is stored DEFERRED until they end; ``release_deferred`` queues it."""
    now = clock.now()
    decision = (
        hold_for_quiet_hours(
            urgency or urgency_of(template), now, parse_quiet_hours(rt.settings.quiet_hours)
        )
        if purpose is Purpose.TRANSACTIONAL
        else Decision("QUEUED")
    )
    try:
        async with in_transaction():
            message = await store.add(
                member_id=member_id,
                channel=channel.value,
                recipient_enc=rt.cipher.encrypt(recipient, context=RECIPIENT_CONTEXT),
                template=template,
                purpose=purpose.value,
                status=decision.status,
                reason=decision.reason,
                send_after=decision.send_after,
                created_at=now,
                dedupe_key=dedupe_key,
                **sealing.seal(rt.cipher, template, channel, variables),
            )
            if decision.status == "QUEUED":
                await outbox.record(TOPIC_REQUESTED, {"message_id": message.id})
    except IntegrityError:
        return await store.by_dedupe_key(dedupe_key)
    return message


class StillSending(RuntimeError):
    """Another worker holds the message (or died holding it): try again after its lease."""


async def deliver(rt: Runtime, message_id: int) -> bool:
    """Send one queued message; a second delivery of the same id sends nothing.

    Sending is claimed with a lease (MESSAGE_SEND_LEASE_S): a worker killed between
    the claim and the provider's answer leaves the message SENDING, and the job,
    redelivered by the broker, retries until the lease has run out and sends it then.
    """
    message = await store.get_or_none(message_id)
    if message is None or message.status not in ("QUEUED", "SENDING"):
        return False  # sent already, failed, or deferred / suppressed by the marketing rules
    now = clock.now()
    until = now + timedelta(seconds=rt.settings.message_send_lease_s)
    claimed = await store.claim_for_sending(message_id, now, until)
    if not claimed:
        if await store.is_sending(message_id):
            raise StillSending(f"message {message_id} is held by another send")
        return False
    adapter = adapters_for(rt.settings)[Channel(message.channel)]
    recipient = rt.cipher.decrypt(message.recipient_enc, context=RECIPIENT_CONTEXT)
    body, variables = sealing.provider_copy(rt.cipher, message)
    done = {"adapter": adapter.name, "sending_until": None}
    if (erased := sealing.without_secrets(rt.cipher, variables)) is not None:
        done["variables_enc"] = erased  # a sign-in code is kept only until it is out
    try:
        await adapter.send(recipient, body, message.template, variables)
    except PermanentProviderError as exc:  # retrying cannot help: say why, stop here
        await store.set_failed(message_id, str(exc)[:128], **done)
        return False
    except Exception:
        await store.release_claim(message_id)
        raise
    await store.set_sent(message_id, clock.now(), **done)
    return True


async def purge_bodies(rt: Runtime) -> int:
    """Blank the text and variables of messages done with for MESSAGE_BODY_RETENTION_DAYS
    (sent, failed or suppressed); the row, its status and times stay. Returns how many."""
    cutoff = clock.now() - timedelta(days=rt.settings.message_body_retention_days)
    return await store.blank_bodies(sealing.TERMINAL, cutoff)
