"""Telling a member about their tier: an upgrade, a downgrade, a coming review.
Keyed by the event id, so an event delivered twice sends one message. The SMS are
not urgent: one the nightly batch causes waits for the end of quiet hours."""

from __future__ import annotations

from domain.members import store
from domain.notifications import services as notifications
from domain.notifications.model import Channel, Purpose
from domain.runtime import Runtime
from domain.tiers import store as tiers
from domain.tiers.model import ChangeReason, ReviewReminder

TEMPLATES = {
    ChangeReason.UPGRADE.value: "tier_up",
    ChangeReason.OVERRIDE.value: "tier_up",
    ChangeReason.DOWNGRADE.value: "tier_down",
    ReviewReminder.reason: "tier_review",
    # events the batch wrote before it used the model's constructors, still in an outbox
    "UP": "tier_up",
    "DOWN": "tier_down",
}


async def tier_event(
    rt: Runtime, *, member_id: int, to: str, reason: str, event_id: int, review_at: str | None
) -> bool:
    member = await store.get_or_none(member_id)
    tier = await tiers.by_code(to)
    template = TEMPLATES.get(reason)
    if member is None or member.status != "ACTIVE" or tier is None or template is None:
        return False
    await notifications.queue(
        rt,
        channel=Channel.SMS,
        recipient=store.phone_of(rt, member),
        template=template,
        variables={"tier": tier.name, "date": (review_at or "")[:10]},
        purpose=Purpose.TRANSACTIONAL,
        member_id=member_id,
        dedupe_key=f"event:{event_id}:SMS",
    )
    return True
