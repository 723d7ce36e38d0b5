"""Sign-in by a secret: staff passwords and partner client secrets (OAuth 2.0 client
credentials, RFC 6749 section 4.4), behind the brute-force throttle
(``domain.auth.throttle``), with the hashing off the event loop and audit rows for every
failure, lockout and lift."""

from __future__ import annotations

from dataclasses import dataclass

from domain.audit import services as audit
from domain.auth import passwords, throttle
from domain.auth.model import ANONYMOUS, PARTNER_SCOPES, Principal, PrincipalKind, scopes_granted
from domain.auth.sessions import TokenPair, staff_principal, start_session
from domain.auth.throttle import AccountKind
from domain.errors import InvalidClient, InvalidCredentials, InvalidScope
from domain.org import store as org_store
from domain.partners import store as partners
from domain.runtime import Runtime


@dataclass(frozen=True)
class ClientToken:
    access_token: str
    expires_in: int
    scope: str


async def _check(
    rt: Runtime,
    kind: AccountKind,
    name: str,
    stored_hash: str | None,
    secret: str,
    client_ip: str,
    target_id: object,
) -> bool:
    """Admit one attempt (or raise RateLimited: too many at once, throttled or locked),
    check the secret off the loop, count the outcome."""
    s = rt.settings
    async with passwords.turn(s.password_hash_threads):
        ticket = await throttle.admit(rt.cache, s, kind, name, client_ip)
        ok = await passwords.verify_secret_async(
            stored_hash, secret, threads=s.password_hash_threads
        )
    if ok:
        await throttle.succeeded(rt.cache, ticket)
        return True
    account = throttle.account_key(kind, name)
    await audit.record(
        ANONYMOUS, "auth.sign_in_failed", kind.value, target_id or "", account=account
    )
    if await throttle.failed(rt.cache, s, ticket):
        await audit.record(
            ANONYMOUS,
            "auth.locked",
            kind.value,
            target_id or "",
            account=account,
            failures=ticket.account_count,
            seconds=s.signin_lockout_s,
        )
    return False


async def staff_sign_in(rt: Runtime, email: str, password: str, client_ip: str) -> TokenPair:
    """The same answer and the same work whether or not the account exists or is active."""
    email = email.strip().lower()
    staff = await org_store.active_staff_by_email(email)
    stored = staff.password_hash if staff else None
    target = staff.id if staff else ""
    if not await _check(rt, AccountKind.STAFF, email, stored, password, client_ip, target):
        raise InvalidCredentials()
    assert staff is not None  # a dummy hash never verifies
    return await start_session(rt, staff_principal(staff))


async def client_credentials(
    rt: Runtime, client_id: str, client_secret: str, scope: str | None, client_ip: str
) -> ClientToken:
    app = await partners.active_app(client_id)
    stored = app.secret_hash if app else None
    target = app.id if app else ""
    if not await _check(
        rt, AccountKind.PARTNER, client_id, stored, client_secret, client_ip, target
    ):
        raise InvalidClient()
    assert app is not None
    allowed = frozenset(app.scopes.split()) & PARTNER_SCOPES
    granted = scopes_granted(scope, allowed)
    if granted is None:
        raise InvalidScope()
    principal = Principal(kind=PrincipalKind.PARTNER, id=app.id, scopes=granted)
    access, ttl = await rt.tokens.issue(principal, rt.settings.partner_token_ttl_s)
    return ClientToken(access, ttl, " ".join(sorted(granted)))


async def unlock(rt: Runtime, actor: Principal, kind: AccountKind, name: str, **why: str) -> bool:
    """Lift a sign-in lockout (admins, the CLI); audited. True when it was locked."""
    lifted = await throttle.lift(rt.cache, kind, name)
    await audit.record(
        actor,
        "auth.unlocked",
        kind.value,
        "",
        account=throttle.account_key(kind, name),
        was_locked=lifted,
        **why,
    )
    return lifted
