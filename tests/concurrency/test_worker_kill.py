"""kill -9 of a real worker process (Redis broker) in the middle of the nightly tier
batch over 10,000 members: after a new worker takes over, every tier is right, every
upgraded member has exactly one notification, and nobody has two.

The test runs its own production topology on a Redis database of its own (worker
processes and the scheduler, whose outbox sweep relays the batch's events), so the
session's worker never sees these messages.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime

import dramatiq
import pytest
from redis.asyncio import Redis

from bench import population
from domain import clock
from domain.tiers.tables import TierBatchRun
from tests.conftest import ROOT, settings_env, wait_for

pytestmark = pytest.mark.backend("postgres")
MEMBERS = 10_000
BROKER = os.environ.get("TEST_KILL_BROKER_URL", "redis://127.0.0.1:6379/13")


def start(module_args: list[str], env: dict[str, str], log) -> subprocess.Popen:
    """In a process group of its own: dramatiq's main process forks the worker
    processes, and a kill must reach them all, as a machine losing power would."""
    return subprocess.Popen(
        [sys.executable, "-m", *module_args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen) -> None:
    """Stop the group, and always reap the process (an unreaped one is a ResourceWarning,
    an error in this suite)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


async def _run_state() -> TierBatchRun | None:
    return await TierBatchRun.get_or_none(run_on=clock.business_date(datetime.now(UTC)))


@pytest.mark.timeout(300)
async def test_kill_9_mid_batch_then_restart(settings, seed, ladder, app, tmp_path):
    from workers.broker import make_broker

    flush = Redis.from_url(BROKER)
    await flush.flushdb()
    await flush.aclose()
    await TierBatchRun.filter(run_on=clock.business_date(datetime.now(UTC))).delete()
    dsn = settings.database_url.replace("postgres://", "postgresql://")
    ids = await population.load(dsn, app.state.rt.cipher, MEMBERS, tag="kill9", store_code="SH01")
    silver = {pk for n, pk in enumerate(ids, start=1) if population.default_spend(n) >= 200_000}

    env = settings_env(settings) | {
        "BROKER_URL": BROKER,
        "TIER_BATCH_CHUNK": "100",
        "REDIS_BROKER_HEARTBEAT_MS": "2000",
        "REDIS_BROKER_MAINTENANCE_CHANCE": "1000000",  # look for dead workers on every fetch
        "MESSAGE_SEND_LEASE_S": "3",
        "JOB_MIN_BACKOFF_MS": "500",
        "JOB_MAX_BACKOFF_MS": "2000",
        "JOB_MAX_RETRIES": "20",
        "QUIET_HOURS": "00:00-00:00",  # none: tier SMS go at once, whatever the hour
    }
    log = (tmp_path / "kill9.log").open("w")
    worker_argv = ["dramatiq", "workers.app", "--processes", "1", "--threads", "4"]
    first = start(worker_argv, env, log)
    scheduler = start(["workers.scheduler_main"], env, log)
    second = None
    try:
        broker = make_broker(settings.model_copy(update={"broker_url": BROKER}))
        broker.enqueue(dramatiq.Message("tiers", "tier_nightly_batch", (), {}, {}))
        midway = ids[MEMBERS // 3]
        await wait_for(lambda: _checkpoint_past(midway), within=60, interval=0.01)
        os.killpg(first.pid, signal.SIGKILL)  # the main process and its worker process
        first.wait(timeout=10)
        state = await _run_state()
        assert state is not None and state.finished_at is None  # killed in the middle
        assert state.last_member_id < ids[-1]
        await asyncio.sleep(1.5)
        frozen = await _run_state()  # nothing of the killed worker still runs the batch
        assert (frozen.last_member_id, frozen.finished_at) == (state.last_member_id, None)

        second = start(worker_argv, env, log)  # takes the dead worker's messages back
        await wait_for(_finished, within=120, interval=0.2)
        await wait_for(lambda: _all_sent(silver), within=120, interval=0.2)
    finally:
        for proc in (first, scheduler, second):
            if proc is not None:
                stop(proc)
        log.close()

    from tortoise import connections

    conn = connections.get("default")
    tiers = await conn.execute_query_dict(
        "SELECT m.id, t.code FROM members m JOIN tiers t ON t.id = m.tier_id "
        "WHERE m.registered_by = 'bulk:kill9'"
    )
    assert len(tiers) == MEMBERS
    assert {r["id"] for r in tiers if r["code"] == "SILVER"} == silver
    assert {r["code"] for r in tiers if r["id"] not in silver} == {"REGULAR"}
    history = await conn.execute_query_dict(
        "SELECT h.member_id, COUNT(*) AS n FROM tier_history h JOIN members m "
        "ON m.id = h.member_id WHERE m.registered_by = 'bulk:kill9' GROUP BY h.member_id"
    )
    assert {r["member_id"] for r in history} == silver and {r["n"] for r in history} == {1}
    messages = await conn.execute_query_dict(
        "SELECT g.member_id, COUNT(*) AS n FROM messages g JOIN members m "
        "ON m.id = g.member_id WHERE m.registered_by = 'bulk:kill9' GROUP BY g.member_id"
    )
    assert {r["member_id"] for r in messages} == silver  # exactly the upgraded members
    assert {r["n"] for r in messages} == {1}  # and nobody twice


async def _checkpoint_past(member_id: int) -> bool:
    state = await _run_state()
    return state is not None and state.last_member_id >= member_id


async def _finished() -> bool:
    state = await _run_state()
    return state is not None and state.finished_at is not None


async def _all_sent(silver: set[int]) -> bool:
    from domain.notifications.tables import Message

    sent = Message.filter(member_id__in=list(silver), template="tier_up", status="SENT")
    return await sent.count() >= len(silver)
