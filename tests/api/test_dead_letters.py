"""A poison job: retried JOB_MAX_RETRIES times with backoff, then a dead letter that
admins see (GraphQL, /readyz, the CLI) and can replay once its cause is fixed."""

from __future__ import annotations

import dramatiq
import pytest

from domain.events.tables import DeadLetter
from tests.conftest import sign_in_staff, wait_for

pytestmark = pytest.mark.backend("sqlite")  # the job is declared in this process

DEAD = """{ deadLetters(first: 5) { edges { node { id actor kwargs error retries } } } }"""
REPLAY = """mutation($id: ID!) { deadLetterReplay(id: $id) {
  __typename ... on DeadLetterReplaySuccess { actor } ... on UserError { code } } }"""


async def test_poison_job_becomes_a_dead_letter_and_replays(
    gql, client, app, settings, monkeypatch
):
    import workers.actors

    calls = {"n": 0, "fail": True}

    @dramatiq.actor(
        broker=app.state.broker,
        queue_name="test-poison",
        max_retries=settings.job_max_retries,
        min_backoff=settings.job_min_backoff_ms,
        max_backoff=settings.job_max_backoff_ms,
    )
    async def poison_job(order_id: int) -> None:
        calls["n"] += 1
        if calls["fail"]:
            raise RuntimeError("the order cannot be read")

    monkeypatch.setattr(workers.actors, "ALL_ACTORS", [*workers.actors.ALL_ACTORS, poison_job])
    poison_job.send(order_id=42)
    row = await wait_for(lambda: DeadLetter.get_or_none(actor="poison_job"), within=20)
    assert calls["n"] == settings.job_max_retries + 1
    assert row.kwargs == {"order_id": 42} and "cannot be read" in row.error

    admin = await sign_in_staff(gql, "admin@test.cn")
    listed = (await admin(DEAD))["data"]["deadLetters"]["edges"]
    assert listed[0]["node"]["actor"] == "poison_job"
    ready = (await client.get("/readyz")).json()
    assert ready["deadLetters"] >= 1 and "test-poison" in ready["queues"]
    assert "job_dead_letters" in (await client.get("/metrics")).text

    calls["fail"] = False  # the cause is fixed
    gid = listed[0]["node"]["id"]
    done = (await admin(REPLAY, {"id": gid}))["data"]["deadLetterReplay"]
    assert done == {"__typename": "DeadLetterReplaySuccess", "actor": "poison_job"}
    await wait_for(lambda: _calls_reached(calls, settings.job_max_retries + 2))
    again = (await admin(REPLAY, {"id": gid}))["data"]["deadLetterReplay"]
    assert again == {"__typename": "ConflictError", "code": "CONFLICT"}
    assert await DeadLetter.filter(actor="poison_job").count() == 1
    agent = await sign_in_staff(gql, "agent@test.cn")
    assert (await agent(DEAD))["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def _calls_reached(calls: dict, n: int) -> bool:
    return calls["n"] >= n
