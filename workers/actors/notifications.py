"""Deliver queued messages through their channel adapter."""

from __future__ import annotations

from domain.notifications import services
from workers.actors.base import job
from workers.runtime import runtime


@job(queue_name="notifications", max_retries=5, min_backoff=1_000, max_backoff=60_000)
async def send_notification(message_id: int, event_id: int | None = None) -> None:
    await services.deliver(runtime(), message_id)
