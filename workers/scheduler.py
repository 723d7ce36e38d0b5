"""Periodic jobs (APScheduler). In the embedded default they run on the API loop;
in production ``loyalty scheduler`` runs them in one dedicated process.

Each firing first takes a lock in the shared cache (``SET NX`` on Redis) named after
the job and its time slot, so a second scheduler started by mistake (or during a
deploy) never fires the same job twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from domain.cache import Cache
from workers.actors import SCHEDULED
from workers.actors.base import Schedule, every
from workers.relay import relay_once


async def _sweep_outbox() -> None:
    while await relay_once() > 0:
        pass


log = logging.getLogger("loyalty.scheduler")


def once_per_slot(
    cache: Cache, job_id: str, slot_s: int, fire: Callable[[], Any]
) -> Callable[[], Awaitable[bool]]:
    """A job body that runs only if this scheduler wins the slot's lock."""

    async def run() -> bool:
        slot = int(time.time() // slot_s)
        if not await cache.set(f"scheduler:{job_id}:{slot}", "1", ex=slot_s * 2, nx=True):
            log.info("job %s of slot %d already fired by another scheduler", job_id, slot)
            return False
        result = fire()
        if isinstance(result, Awaitable):
            await result
        return True

    return run


class Job(NamedTuple):
    """A periodic job: its name, what fires it, its trigger and its lock slot."""

    name: str
    fire: Callable[[], Any]  # `actor.send`, or a coroutine function run on the loop
    schedule: Schedule

    @property
    def runs(self) -> str:
        """What a firing does, for `loyalty jobs list`."""
        actor = getattr(self.fire, "__self__", None)
        if actor is None:
            return f"{self.fire.__name__} (on the scheduler)"
        return f"actor {actor.actor_name} (queue {actor.queue_name})"

    @property
    def body(self) -> Callable[[], Any]:
        """What the job does, here and now: the actor's own function (not a send)."""
        actor = getattr(self.fire, "__self__", None)
        if actor is None:
            return self.fire
        return getattr(actor.fn, "__wrapped__", actor.fn)  # an async actor's coroutine


# The outbox sweep runs on the scheduler's own loop; every other job is the actor that
# declares its schedule (workers/actors/, `job(schedule=...)`).
JOBS: list[Job] = [
    Job("outbox-sweep", _sweep_outbox, every("outbox-sweep", seconds=2)),
    *(Job(schedule.name, actor.send, schedule) for schedule, actor in SCHEDULED),
]


def build_scheduler(cache: Cache) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="Asia/Shanghai")
    for job in JOBS:
        s = job.schedule
        scheduler.add_job(
            once_per_slot(cache, job.name, s.slot_s, job.fire),
            s.trigger,
            id=job.name,
            max_instances=1,
            coalesce=True,
            **s.fields,
        )
    return scheduler
