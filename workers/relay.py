"""The outbox relay: hands recorded events to the broker, then marks them sent.

Runs after each mutation in the API process (kicked, single-flight) and on a timer
in the scheduler, so an event waits in the outbox while the broker is down and flows
when it is back. Delivery is at least once; consumers are idempotent by event id.
"""

from __future__ import annotations

import asyncio
import logging

from domain.events import outbox
from workers.dispatch import messages_for

log = logging.getLogger(__name__)


async def relay_once(limit: int = 100) -> int:
    """Send up to ``limit`` waiting events; returns how many were sent."""
    sent = 0
    claimed = await outbox.claim(limit)
    for n, event in enumerate(claimed):
        try:
            for actor, kwargs in messages_for(event.topic, event.payload, event.id):
                await asyncio.to_thread(actor.send_with_options, kwargs=kwargs)
        except Exception as exc:
            for unsent in claimed[n:]:  # free the whole claim for the next round at once
                await outbox.release(unsent.id)
            waiting = len(claimed) - n
            log.warning("broker unavailable (%s); %d events wait in the outbox", exc, waiting)
            break
        await outbox.mark_dispatched(event.id)
        sent += 1
    return sent


class Relay:
    """Single-flight runner: a kick during a run makes it go round once more."""

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None
        self._again = False

    def kick(self) -> None:
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                while await relay_once() > 0:
                    pass
            except Exception:
                log.exception("outbox relay failed")
            if not self._again:
                return

    async def drain(self) -> None:
        if self._task is not None:
            await self._task
