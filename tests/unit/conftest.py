"""Unit tests may start a dramatiq worker of their own (``test_worker_boot``) or borrow an
event loop (``test_borrowed_loop``): both change process-wide state — dramatiq's event
loop thread and the workers' runtime — that the session's in-process app relies on to
run its async actors. Each unit test gets them back as they were."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dramatiq.asyncio import get_event_loop_thread, set_event_loop_thread

import workers.runtime


@pytest.fixture(autouse=True)
def _keep_worker_globals() -> Iterator[None]:
    loop_thread, runtime = get_event_loop_thread(), workers.runtime._current
    yield
    set_event_loop_thread(loop_thread)
    workers.runtime._current = runtime
