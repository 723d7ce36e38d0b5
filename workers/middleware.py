"""Dramatiq middleware that gives async actors a database.

* ``EmbeddedLoop`` (embedded default): async actors run on the API server's own event
  loop, where Tortoise is already open, so the in-process worker shares its context.
* ``TortoiseOnWorkerLoop`` (production): once dramatiq's AsyncIO middleware (added
  before it) has started the worker's event-loop thread, and before any worker thread
  takes a message, Tortoise is opened on that loop; it is closed at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Coroutine
from typing import TypeVar

from dramatiq.asyncio import EventLoopThread, get_event_loop_thread, set_event_loop_thread
from dramatiq.middleware import Middleware

from domain import db
from domain.config import Settings
from domain.migrations import ensure_migrated
from domain.runtime import Runtime
from workers.runtime import set_runtime

log = logging.getLogger(__name__)
R = TypeVar("R")


class _BorrowedLoop(EventLoopThread):
    """An EventLoopThread facade over a loop that is already running (never started).

    The borrowed loop does not always run: the test suite's session loop is idle between
    tests (and during every test that is not async), a server's loop stops at shutdown.
    Dramatiq's ``async_to_sync`` has already made the actor's coroutine when it calls
    ``run_coroutine``, which raised at once on an idle loop: the job failed, was retried,
    and its coroutine was dropped unawaited ("coroutine 'recompute_tier' was never
    awaited" at the end of a test run). Here a job taken while the loop is idle waits for
    it to run again; on a closed loop (or after ``IDLE_WAIT_S``) the coroutine is closed
    before the job fails, so nothing is left unawaited and the job is retried."""

    IDLE_WAIT_S = 600.0
    POLL_S = 0.02

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(log)
        self.loop.close()
        self.loop = loop

    def stop(self) -> None:  # the loop belongs to the server
        return None

    def run_coroutine(self, coro: Awaitable[R]) -> R:
        deadline = time.monotonic() + self.IDLE_WAIT_S
        while not self.loop.is_running():
            if self.loop.is_closed() or time.monotonic() > deadline:
                if isinstance(coro, Coroutine):
                    coro.close()  # never started: closing it is all it needs
                raise RuntimeError("the server's event loop is not running")
            time.sleep(self.POLL_S)
        return super().run_coroutine(coro)


class EmbeddedLoop(Middleware):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def before_worker_boot(self, broker, worker) -> None:
        set_event_loop_thread(_BorrowedLoop(self.loop))

    def after_worker_shutdown(self, broker, worker) -> None:
        set_event_loop_thread(None)


class TortoiseOnWorkerLoop(Middleware):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def before_worker_boot(self, broker, worker) -> None:
        # not after_worker_boot: the worker threads run by then, and the first jobs failed
        # with "worker runtime not initialised" and waited out their backoff
        thread = get_event_loop_thread()
        assert thread is not None, "add dramatiq's AsyncIO middleware before this one"
        thread.run_coroutine(self._open())

    async def _open(self) -> None:
        from domain.notifications.adapters import adapters_for

        adapters_for(self.settings)  # refuse to start with a channel that cannot send
        await db.open_on_this_loop(self.settings)
        await ensure_migrated(self.settings)  # and, in production, a role that owns nothing
        set_runtime(Runtime.build(self.settings))
        log.info("worker database open")

    def before_worker_shutdown(self, broker, worker) -> None:
        thread = get_event_loop_thread()
        if thread is not None and thread.loop.is_running():
            thread.run_coroutine(db.close())


class RelayAfterActor(Middleware):
    """Events an actor records (a tier change, a notification) go to the broker as soon
    as the actor is done, from the worker itself; the scheduler's sweep is the backstop.
    The relay is kicked on the worker's event loop and never waited for, so a worker
    thread is never held by it (single-flight: one relay run at a time)."""

    def __init__(self) -> None:
        from workers.relay import Relay

        self.relay = Relay()

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        thread = get_event_loop_thread()
        if thread is not None and thread.loop.is_running():
            thread.loop.call_soon_threadsafe(self.relay.kick)


class DeadLetters(Middleware):
    """A message that failed its last retry is written to ``dead_letters``. Dramatiq runs
    ``after_*`` hooks in reverse order, so add it before Retries (``add_dead_letters``)."""

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        if exception is None or not message.failed:
            return
        from domain.events import dead_letters

        thread = get_event_loop_thread()
        if thread is None or not thread.loop.is_running():
            log.error("dead letter %s could not be stored: no event loop", message.message_id)
            return
        thread.run_coroutine(
            dead_letters.record(
                actor=message.actor_name,
                queue=message.queue_name,
                message_id=message.message_id,
                args=list(message.args),
                kwargs=dict(message.kwargs),
                error=f"{type(exception).__name__}: {exception}",
                retries=message.options.get("retries", 0),
            )
        )
        log.error("job %s failed every retry: now a dead letter", message.actor_name)


def add_dead_letters(broker) -> None:
    from dramatiq.middleware import Retries

    broker.add_middleware(DeadLetters(), before=Retries)
