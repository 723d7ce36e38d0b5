"""Scheduled member jobs."""

from __future__ import annotations

import logging

from domain.members.birthdays import emit_birthdays
from workers.actors.base import cron, job
from workers.runtime import runtime

log = logging.getLogger("loyalty.members")


@job(
    queue_name="members",
    schedule=cron("birthdays", hour=8),
    max_retries=3,
    min_backoff=10_000,
)
async def birthday_events() -> None:
    log.info("recorded %d birthday events", await emit_birthdays(runtime()))
