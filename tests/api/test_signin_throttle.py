"""Brute force on staff passwords and partner client secrets: exponential delay per
account and per address, a lockout an admin lifts, audit rows, and answers that do not
tell whether an account exists."""

from __future__ import annotations

import asyncio

import pytest

from domain.audit.tables import AuditEntry
from domain.auth.tables import RefreshToken
from tests.conftest import STAFF_PASSWORD, sign_in_staff

SIGN_IN = """mutation($e: String!, $p: String!) { staffSignIn(email: $e, password: $p) {
  __typename ... on SignInSuccess { accessToken }
  ... on UserError { code message } ... on RateLimitedError { retryAfterSeconds } } }"""
UNLOCK = """mutation($k: SignInAccountKind!, $a: String!) { signInUnlock(kind: $k, account: $a) {
  wasLocked } }"""
TOKEN = "/oauth/token"


async def _attempt(gql, email: str, password: str) -> dict:
    return (await gql(SIGN_IN, {"e": email, "p": password}))["data"]["staffSignIn"]


async def _failures() -> int:
    return await AuditEntry.filter(action="auth.sign_in_failed").count()


async def test_wrong_passwords_slow_down_and_the_right_one_waits_too(gql, seed, settings):
    email = "agent@test.cn"
    failures, sessions = await _failures(), await RefreshToken.all().count()
    free = settings.signin_free_attempts
    kinds = [(await _attempt(gql, email, "wrong"))["__typename"] for _ in range(free + 1)]
    assert kinds == ["InvalidCredentialsError"] * (free + 1)  # the last took the one slot
    refused = await _attempt(gql, email, STAFF_PASSWORD)  # right, but too soon
    assert refused["__typename"] == "RateLimitedError" and refused["code"] == "RATE_LIMITED"
    assert 1 <= refused["retryAfterSeconds"] <= settings.signin_delay_base_s
    assert await _failures() == failures + free + 1  # one audit row per checked attempt
    assert await RefreshToken.all().count() == sessions  # no session was started
    await asyncio.sleep(refused["retryAfterSeconds"] + 0.2)
    assert (await _attempt(gql, email, STAFF_PASSWORD))["__typename"] == "SignInSuccess"
    # a success forgets the account's failures: the next wrong one is free again
    assert (await _attempt(gql, email, "wrong"))["__typename"] == "InvalidCredentialsError"
    assert (await _attempt(gql, email, "wrong"))["__typename"] == "InvalidCredentialsError"


async def test_an_unknown_email_is_answered_exactly_like_a_known_one(gql, seed, settings):
    def shape(r: dict) -> tuple:
        return r["__typename"], r.get("code"), r.get("message"), "retryAfterSeconds" in r

    runs = []
    for email in ("agent@test.cn", "nobody.here@test.cn"):
        runs.append(
            [
                shape(await _attempt(gql, email, "wrong"))
                for _ in range(settings.signin_free_attempts + 2)
            ]
        )
    assert runs[0] == runs[1]
    assert runs[0][-1][0] == "RateLimitedError"


async def test_attempts_sent_side_by_side_are_each_counted(gql, seed, settings, monkeypatch):
    """Twelve wrong passwords at once: each is numbered before it is checked, so only the
    free ones and the one slot are checked; the rest wait, and nothing is hashed for them."""
    monkeypatch.setattr(settings, "signin_delay_base_s", 60)  # the slot outlasts the burst
    monkeypatch.setattr(settings, "password_hash_threads", 6)  # all twelve may queue
    before = await _failures()
    answers = await asyncio.gather(*(_attempt(gql, "sh01@test.cn", "wrong") for _ in range(12)))
    kinds = sorted(a["__typename"] for a in answers)
    checked = settings.signin_free_attempts + 1
    assert kinds == ["InvalidCredentialsError"] * checked + ["RateLimitedError"] * (12 - checked)
    assert await _failures() == before + checked
    refused = await _attempt(gql, "sh01@test.cn", STAFF_PASSWORD)
    assert refused["__typename"] == "RateLimitedError" and refused["retryAfterSeconds"] > 30


async def test_lockout_holds_the_right_password_until_an_admin_lifts_it(
    gql, seed, settings, monkeypatch
):
    monkeypatch.setattr(settings, "signin_free_attempts", 3)
    monkeypatch.setattr(settings, "signin_lockout_attempts", 3)
    email = "gz01@test.cn"
    locks = await AuditEntry.filter(action="auth.locked").count()
    for _ in range(3):
        assert (await _attempt(gql, email, "wrong"))["__typename"] == "InvalidCredentialsError"
    locked = await _attempt(gql, email, STAFF_PASSWORD)
    assert locked["__typename"] == "RateLimitedError"
    assert "administrator" in locked["message"]
    assert locked["retryAfterSeconds"] > settings.signin_lockout_s - 60
    assert await AuditEntry.filter(action="auth.locked").count() == locks + 1

    analyst = await sign_in_staff(gql, "analyst@test.cn")
    denied = await analyst(UNLOCK, {"k": "STAFF", "a": email})
    assert denied["data"] is None and denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await _attempt(gql, email, STAFF_PASSWORD))["__typename"] == "RateLimitedError"

    admin = await sign_in_staff(gql, seed["staff"][0])
    lifted = await admin(UNLOCK, {"k": "STAFF", "a": email.upper()})
    assert lifted["data"]["signInUnlock"] == {"wasLocked": True}
    row = await AuditEntry.filter(action="auth.unlocked").order_by("-id").first()
    assert row.actor.startswith("staff:") and row.detail["was_locked"] is True
    assert (await _attempt(gql, email, STAFF_PASSWORD))["__typename"] == "SignInSuccess"


async def test_the_address_is_throttled_across_accounts(gql, seed, settings, monkeypatch):
    monkeypatch.setattr(settings, "signin_ip_free_attempts", 4)
    monkeypatch.setattr(settings, "signin_delay_base_s", 60)
    kinds = [(await _attempt(gql, f"someone{i}@test.cn", "wrong"))["__typename"] for i in range(7)]
    assert kinds == ["InvalidCredentialsError"] * 5 + ["RateLimitedError"] * 2


async def test_wrong_staff_passwords_from_an_address_do_not_hold_up_partners(
    gql, client, seed, settings, monkeypatch
):
    """Staff and partner secrets are counted apart per address: a flood of wrong staff
    passwords from one address (or one NAT) does not refuse a partner's right secret
    from it, and wrong partner secrets still slow that address's partner attempts."""
    monkeypatch.setattr(settings, "signin_ip_free_attempts", 4)
    monkeypatch.setattr(settings, "signin_delay_base_s", 60)
    kinds = [(await _attempt(gql, f"flood{i}@test.cn", "wrong"))["__typename"] for i in range(7)]
    assert kinds[-1] == "RateLimitedError"  # the address is throttled for staff
    r = await _token(client, *seed["partner"])
    assert r.status_code == 200 and r.json()["access_token"]
    statuses = [(await _token(client, f"pa_guess{i}", "wrong")).status_code for i in range(6)]
    assert statuses == [401] * 5 + [429]  # partner guesses have their own count
    assert (await _token(client, *seed["narrow_partner"])).status_code == 429


# --- partner client secrets at /oauth/token ---------------------------------------------


async def _token(client, client_id: str, secret: str):
    return await client.post(
        TOKEN, data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


@pytest.mark.parametrize("which", ["known", "unknown"])
async def test_wrong_client_secrets_get_429_with_retry_after(client, seed, settings, which):
    client_id = seed["partner"][0] if which == "known" else "pa_nobody"
    before = await _failures()
    statuses = [(await _token(client, client_id, "wrong")).status_code for _ in range(6)]
    assert statuses == [401] * 6
    r = await _token(client, client_id, seed["partner"][1])
    assert r.status_code == 429
    assert r.json()["error"] == "invalid_client" and "access_token" not in r.text
    assert 1 <= int(r.headers["retry-after"]) <= settings.signin_delay_base_s
    assert r.headers["cache-control"] == "no-store"
    assert await _failures() == before + 6
    row = await AuditEntry.filter(action="auth.sign_in_failed").order_by("-id").first()
    assert row.target_type == "partner" and row.client_ip == "127.0.0.1"


async def test_a_locked_partner_is_lifted_by_an_admin(gql, client, seed, settings, monkeypatch):
    monkeypatch.setattr(settings, "signin_free_attempts", 2)
    monkeypatch.setattr(settings, "signin_lockout_attempts", 2)
    client_id, secret = seed["narrow_partner"]
    for _ in range(2):
        assert (await _token(client, client_id, "wrong")).status_code == 401
    assert (await _token(client, client_id, secret)).status_code == 429
    admin = await sign_in_staff(gql, seed["staff"][0])
    lifted = await admin(UNLOCK, {"k": "PARTNER", "a": client_id})
    assert lifted["data"]["signInUnlock"] == {"wasLocked": True}
    assert (await _token(client, client_id, secret)).status_code == 200


async def test_aliases_in_one_request_are_each_counted(gql, seed, settings):
    """Nine wrong passwords and then the right one, as aliases of one request: it never
    signs in, and at most the free attempts and one slot are checked (the document may
    also be refused whole, by a limit on sign-ins per request)."""
    fields = " ".join(
        f'a{i}: staffSignIn(email: "service@test.cn", password: "{p}") {{ __typename }}'
        for i, p in enumerate(["wrong"] * 9 + [STAFF_PASSWORD])
    )
    await create_service_account()
    before, sessions = await _failures(), await RefreshToken.all().count()
    r = await gql.raw(f"mutation {{ {fields} }}")
    answers = list(((r.json().get("data") or {}) or {}).values())
    assert {"__typename": "SignInSuccess"} not in answers
    assert await _failures() - before <= settings.signin_free_attempts + 1
    assert await RefreshToken.all().count() == sessions


async def create_service_account() -> None:
    from domain.org.services import create_staff
    from domain.org.tables import Staff

    if not await Staff.filter(email="service@test.cn").exists():
        await create_staff("service@test.cn", STAFF_PASSWORD, "service_agent")
