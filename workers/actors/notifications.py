"""Deliver queued messages through their channel adapter."""

from __future__ import annotations

from datetime import date, timedelta

from domain.notifications import services
from workers.actors.base import cron, every, job
from workers.runtime import runtime


@job(queue_name="notifications", max_retries=5, min_backoff=1_000, max_backoff=60_000)
async def send_notification(message_id: int, event_id: int | None = None) -> None:
    await services.deliver(runtime(), message_id)


@job(
    queue_name="notifications",
    schedule=every("messages-deferred", minutes=1),
    max_retries=3,
)
async def release_deferred_messages() -> None:
    from domain.notifications.marketing import release_deferred

    await release_deferred()


@job(
    queue_name="notifications",
    schedule=cron("messages-purge", hour=4, minute=15),  # nightly
    max_retries=3,
)
async def purge_message_bodies() -> None:
    """Blank the text of messages past MESSAGE_BODY_RETENTION_DAYS (idempotent)."""
    await services.purge_bodies(runtime())


@job(queue_name="notifications", max_retries=5)
async def notify_points_expiring(
    member_id: int,
    points: int,
    expires_on: str,
    event_id: int | None = None,
    last_day: str | None = None,
) -> None:
    """Tell the member the last day their points can be used (``last_day``; events
    recorded before it existed name the expiry day, a midnight: the day before)."""
    from domain.notifications.marketing import send_marketing
    from domain.notifications.model import Channel

    if last_day is None:
        last_day = (date.fromisoformat(expires_on) - timedelta(days=1)).isoformat()
    await send_marketing(
        runtime(),
        member_id=member_id,
        channel=Channel.SMS,
        template="points_expiring",
        variables={"points": points, "date": last_day},
        dedupe_key=f"event:{event_id}:SMS" if event_id else None,
    )
