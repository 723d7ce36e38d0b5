"""Password hashing runs off the event loop (a bounded thread pool): a burst of wrong
staff sign-ins does not stall the other requests of the same process."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time

from domain.audit.tables import AuditEntry
from tests.conftest import sign_in_member

HOME = "query Home { me { displayName points { balance pending } } }"
SIGN_IN = """mutation($e: String!, $p: String!) { staffSignIn(email: $e, password: $p) {
  __typename ... on RateLimitedError { retryAfterSeconds } } }"""
ATTACKERS = 8  # clients sending wrong sign-ins side by side, each again once answered
SAMPLES = 30


async def _latency(member) -> float:
    start = time.perf_counter()
    r = await member(HOME)
    assert r["data"]["me"] is not None, r
    return time.perf_counter() - start


async def test_member_home_stays_fast_during_a_burst_of_wrong_sign_ins(gql):
    member = gql.as_((await sign_in_member(gql))["accessToken"])
    for _ in range(5):  # warm up
        await _latency(member)
    idle = statistics.median([await _latency(member) for _ in range(15)])
    before = await AuditEntry.filter(action="auth.sign_in_failed").count()

    stop = asyncio.Event()
    answers: list[str] = []
    emails = (f"nobody{i}@test.cn" for i in itertools.count())  # no per-account delay

    async def attacker() -> None:
        while not stop.is_set():
            r = (await gql(SIGN_IN, {"e": next(emails), "p": "wrong password"}))["data"]
            answers.append(r["staffSignIn"]["__typename"])
            if answers[-1] == "RateLimitedError":  # too many at once: as Retry-After says
                await asyncio.sleep(r["staffSignIn"]["retryAfterSeconds"])

    burst = [asyncio.create_task(attacker()) for _ in range(ATTACKERS)]
    await asyncio.sleep(0.05)  # the burst is under way
    during = []
    for _ in range(SAMPLES):
        during.append(await _latency(member))
        await asyncio.sleep(0.03)  # sample across the burst
    stop.set()
    await asyncio.gather(*burst)

    hashed = await AuditEntry.filter(action="auth.sign_in_failed").count() - before
    assert hashed >= 3, f"only {hashed} wrong passwords were checked during the burst"
    assert set(answers) <= {"InvalidCredentialsError", "RateLimitedError"}
    busy = statistics.median(during)
    assert busy < 5 * idle, (
        f"member home {busy * 1000:.1f} ms during the burst, {idle * 1000:.1f} ms idle; "
        f"{hashed} checked, {len(answers)} answered"
    )
    # no request waits behind the queued sign-ins (on the loop or for a GraphQL slot)
    assert max(during) < 1.0, sorted(round(d * 1000) for d in during)
