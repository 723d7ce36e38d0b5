"""The in-process worker runs async actors on the server's loop, which is not always
running (the test session's loop is idle between tests; a server's loop stops). A job
taken then used to fail at once and leave its coroutine unawaited ("coroutine
'recompute_tier' was never awaited"); now it waits for the loop, or fails cleanly."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import warnings

import pytest
from dramatiq.asyncio import async_to_sync, set_event_loop_thread

from workers.middleware import _BorrowedLoop


@pytest.fixture
def idle_loop():
    loop = asyncio.new_event_loop()
    set_event_loop_thread(_BorrowedLoop(loop))
    yield loop
    set_event_loop_thread(None)
    if not loop.is_closed():
        loop.close()


def test_a_job_taken_while_the_loop_is_idle_waits_for_it_to_run(idle_loop):
    ran: list[int] = []

    async def job(member_id: int) -> int:
        ran.append(member_id)
        return member_id * 2

    result: dict[str, object] = {}

    def worker_thread() -> None:  # what a dramatiq worker thread does with an async actor
        try:
            result["value"] = async_to_sync(job)(21)
        except Exception as exc:  # the test reports what happened
            result["error"] = exc

    thread = threading.Thread(target=worker_thread)
    thread.start()
    time.sleep(0.3)  # the loop is idle: the job waits, nothing is run or dropped
    assert ran == [] and result == {} and thread.is_alive()
    idle_loop.run_until_complete(asyncio.sleep(0.5))  # the next test runs the loop
    thread.join(timeout=5)
    assert result == {"value": 42} and ran == [21]


def test_on_a_closed_loop_the_job_fails_and_no_coroutine_is_left_unawaited(idle_loop):
    idle_loop.close()

    async def job() -> None:
        raise AssertionError("must not run")

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match=r"(?i)event loop is not running"):
            async_to_sync(job)()
        gc.collect()
    assert [str(w.message) for w in seen if "never awaited" in str(w.message)] == []
