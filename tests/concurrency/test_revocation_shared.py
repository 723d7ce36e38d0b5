"""Production shape (PostgreSQL + Redis): a revocation, a lockout and its lifting made in
one process reach every other at once, because they live in the shared Redis.

"Another process" is here a second ``Runtime`` (its own Redis connection, key ring and
token service, as each API process has) and the real ``loyalty`` CLI process."""

from __future__ import annotations

import secrets
import subprocess

import pytest

from domain.auth import credentials, revocation, sessions
from domain.auth.model import ANONYMOUS
from domain.errors import InvalidAccessToken, InvalidCredentials, RateLimited
from domain.org.services import create_staff, deactivate_staff
from domain.org.tables import Staff
from domain.partners.services import create_partner
from domain.runtime import Runtime
from tests.conftest import (
    ROOT,
    STAFF_PASSWORD,
    STAFF_SIGN_IN,
    partner_token,
    settings_env,
    sign_in_member,
    wait_for,
)
from tests.factories import SIGN_OUT, status
from tests.processes import LOYALTY

pytestmark = pytest.mark.backend("postgres")


@pytest.fixture
async def other(settings, client):
    """A second API process's runtime, sharing Redis and PostgreSQL with the app."""
    rt = Runtime.build(settings)
    await rt.keys.load()
    yield rt
    await revocation.stop(rt.cache)
    await rt.cache.aclose()


async def _staff_tokens(gql) -> tuple[str, dict]:
    email = f"shared.{secrets.token_hex(4)}@test.cn"
    await create_staff(email, STAFF_PASSWORD, "service_agent")
    r = (await gql(STAFF_SIGN_IN, {"e": email, "p": STAFF_PASSWORD}))["data"]["staffSignIn"]
    return email, r


async def _refused(rt: Runtime, token: str) -> bool:
    try:
        await sessions.authenticate(rt, token)
    except InvalidAccessToken:
        return True
    return False


async def test_sign_out_here_refuses_the_token_there(gql, other):
    tokens = await sign_in_member(gql)
    assert (await sessions.authenticate(other, tokens["accessToken"])).id is not None
    await gql.as_(tokens["accessToken"])(SIGN_OUT)
    # the other process learns it by pub/sub (or reads it while its mirror is not live)
    assert await wait_for(lambda: _refused(other, tokens["accessToken"]), within=2)


async def test_the_mirror_answers_without_a_cache_read(gql, other, monkeypatch):
    """Once the other process's mirror is live, a revocation reaches it by pub/sub and
    its checks read no cache at all."""
    tokens = await sign_in_member(gql)
    await sessions.authenticate(other, tokens["accessToken"])  # starts the mirror
    mirror = revocation._mirrors[other.cache]
    assert await wait_for(lambda: _true(mirror.live))

    async def no_reads(keys):
        raise AssertionError("the hot path read the cache")

    monkeypatch.setattr(other.cache, "mget", no_reads)
    assert (await sessions.authenticate(other, tokens["accessToken"])).id is not None
    await gql.as_(tokens["accessToken"])(SIGN_OUT)
    assert await wait_for(lambda: _refused(other, tokens["accessToken"]), within=2)


async def _true(value: bool) -> bool:
    return value


async def test_deactivation_there_refuses_the_token_here(client, gql, other):
    email, r = await _staff_tokens(gql)
    assert await status(client, r["accessToken"]) == 200
    staff = await Staff.get(email=email)
    await deactivate_staff(other, ANONYMOUS, staff.id)

    assert await refused(client, r["accessToken"])


async def test_failures_counted_there_throttle_here(gql, other, settings):
    email, _ = await _staff_tokens(gql)
    for _ in range(settings.signin_free_attempts + 1):
        with pytest.raises(InvalidCredentials):
            await credentials.staff_sign_in(other, email, "wrong", "10.9.8.7")
    r = (await gql(STAFF_SIGN_IN, {"e": email, "p": STAFF_PASSWORD}))["data"]["staffSignIn"]
    assert r == {"__typename": "RateLimitedError", "code": "RATE_LIMITED"}
    with pytest.raises(RateLimited):
        await credentials.staff_sign_in(other, email, STAFF_PASSWORD, "10.9.8.7")


async def refused(client, token: str) -> bool:
    """401 once this process hears of the revocation by pub/sub (milliseconds)."""

    async def now() -> bool:
        return await status(client, token) == 401

    return await wait_for(now, within=2)


def _cli(settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LOYALTY, *args],
        cwd=ROOT,
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_cli_deactivation_and_unlock_reach_the_running_app(
    client, gql, settings, monkeypatch
):
    email, r = await _staff_tokens(gql)
    app, secret = await create_partner(f"cli-{secrets.token_hex(3)}", ["members:read"])
    token = await partner_token(client, (app.client_id, secret))
    assert await status(client, r["accessToken"]) == 200 and await status(client, token) == 200

    done = _cli(settings, "staff-deactivate", email.upper())
    assert done.returncode == 0, done.stderr
    assert await refused(client, r["accessToken"])
    done = _cli(settings, "partner-deactivate", app.client_id)
    assert done.returncode == 0, done.stderr
    assert await refused(client, token)

    monkeypatch.setattr(settings, "signin_free_attempts", 2)
    monkeypatch.setattr(settings, "signin_lockout_attempts", 2)
    locked, _ = await _staff_tokens(gql)
    for _ in range(2):
        await gql(STAFF_SIGN_IN, {"e": locked, "p": "wrong"})
    held = (await gql(STAFF_SIGN_IN, {"e": locked, "p": STAFF_PASSWORD}))["data"]
    assert held["staffSignIn"]["__typename"] == "RateLimitedError"
    lifted = _cli(settings, "signin-unlock", locked)
    assert lifted.returncode == 0 and "lockout lifted" in lifted.stdout, lifted.stderr
    ok = (await gql(STAFF_SIGN_IN, {"e": locked, "p": STAFF_PASSWORD}))["data"]
    assert ok["staffSignIn"]["__typename"] == "SignInSuccess"
