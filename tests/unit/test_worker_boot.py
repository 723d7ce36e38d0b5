"""A production worker opens its database before any worker thread takes a message:
it used to open it in after_worker_boot, when the threads already ran, and a job queued
before the start failed with "worker runtime not initialised" and waited out its
backoff (30 s for the nightly tier batch)."""

from __future__ import annotations

import asyncio
from typing import cast

import dramatiq
from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO

from domain.config import Settings
from domain.runtime import Runtime
from workers import middleware
from workers.runtime import runtime, set_runtime

RUNTIME = cast(Runtime, object())  # stands for the one the database opening builds


def test_the_runtime_is_set_before_the_first_job_runs(monkeypatch):
    async def slow_open(self) -> None:  # the database takes a moment to open
        await asyncio.sleep(0.5)
        set_runtime(RUNTIME)

    monkeypatch.setattr(middleware.TortoiseOnWorkerLoop, "_open", slow_open)
    monkeypatch.setattr(middleware.TortoiseOnWorkerLoop, "before_worker_shutdown", lambda *_: None)
    set_runtime(None)
    broker = StubBroker()
    broker.add_middleware(AsyncIO())
    broker.add_middleware(middleware.TortoiseOnWorkerLoop(cast(Settings, None)))
    seen: list[object] = []
    failures: list[str] = []

    @dramatiq.actor(broker=broker, max_retries=0)
    async def needs_the_runtime() -> None:
        try:
            seen.append(runtime())
        except RuntimeError as exc:
            failures.append(str(exc))

    needs_the_runtime.send()  # queued before the worker starts, as after a restart
    worker = Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        broker.join(needs_the_runtime.queue_name, timeout=10_000)
        worker.join()
    finally:
        worker.stop()
        set_runtime(None)
    assert failures == [] and seen == [RUNTIME]
