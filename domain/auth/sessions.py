"""Sessions: an access token plus a rotating refresh token of one *family*; refresh,
sign-out, revocation of a subject, and authentication of a bearer token."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from domain import clock
from domain.auth import revocation
from domain.auth import store as auth_store
from domain.auth.model import Principal, PrincipalKind, Role, new_refresh_token, token_digest
from domain.errors import InvalidRefreshToken, RefreshTokenReused
from domain.members import store as member_store
from domain.org import store as org_store
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.org.tables import Staff


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    principal: Principal


async def authenticate(rt: Runtime, token: str) -> Principal:
    """The principal of a bearer token that verifies and was not revoked (no database
    read: signatures are checked once per process, revocation is one cache read)."""
    principal = await rt.tokens.verify(token)
    await revocation.check(rt.cache, principal)
    return principal


def staff_principal(staff: Staff) -> Principal:
    """Store staff carry their store's region too: row scope may be the whole region."""
    store = staff.store
    return Principal(
        kind=PrincipalKind.STAFF,
        id=staff.id,
        role=Role(staff.role),
        region_id=store.region_id if store else staff.region_id,
        store_id=store.id if store else None,
    )


async def start_session(rt: Runtime, principal: Principal, family: str | None = None) -> TokenPair:
    token, family, digest = new_refresh_token(family)
    now = clock.now()
    await auth_store.add_refresh_token(
        token_hash=digest,
        family=family,
        subject=principal.subject,
        issued_at=now,
        expires_at=now + timedelta(seconds=rt.settings.refresh_token_ttl_s),
    )
    access, ttl = await rt.tokens.issue(replace(principal, session=family))
    return TokenPair(access, ttl, token, principal)


async def refresh(rt: Runtime, token: str) -> TokenPair:
    """Rotate: the presented token is spent and a new one of the same family returned.

    Presenting a spent token again is a replay: the whole family is revoked, refresh and
    access tokens alike, so a thief and the rightful holder are both signed out and the
    holder signs in afresh. A family with any revoked token is revoked as a whole, and the
    rotation re-checks that after writing the successor, so a replay racing a rotation
    cannot leave a live token behind.
    """
    now = clock.now()
    row = await auth_store.refresh_token_by_hash(token_digest(token))
    if row is None or row.expires_at <= now or await _family_revoked(row.family):
        raise InvalidRefreshToken()
    spent = await auth_store.spend_refresh_token(row.id, now)
    if not spent:
        await end_family(rt, row.family)
        raise RefreshTokenReused()
    principal = await _current_principal(row.subject)
    if principal is None:
        await end_family(rt, row.family)
        raise InvalidRefreshToken()
    pair = await start_session(rt, principal, family=row.family)
    if await _family_revoked(row.family):  # a replay landed while we rotated
        await end_family(rt, row.family)
        raise RefreshTokenReused()
    return pair


async def _family_revoked(family: str) -> bool:
    return await auth_store.family_revoked(family)


async def end_family(rt: Runtime, family: str) -> None:
    """Revoke a session: its refresh tokens in the database, its access tokens in the
    cache (at once, in every process)."""
    await auth_store.revoke_family(family, clock.now())
    await revocation.end_session(rt.cache, rt.settings, family)


async def _current_principal(subject: str) -> Principal | None:
    kind, _, sid = subject.partition(":")
    if kind == PrincipalKind.MEMBER.value:
        member = await member_store.get_or_none(int(sid), status="ACTIVE")
        return Principal(kind=PrincipalKind.MEMBER, id=member.id) if member else None
    if kind == PrincipalKind.STAFF.value:
        staff = await org_store.active_staff(int(sid))
        return staff_principal(staff) if staff else None
    return None


async def sign_out(rt: Runtime, viewer: Principal, refresh_token: str | None) -> bool:
    """End the session of ``refresh_token``, or else the caller's own (the family its
    access token was issued in). False when neither names a session."""
    family = ""
    if refresh_token:
        row = await auth_store.refresh_token_by_hash(token_digest(refresh_token))
        family = row.family if row else ""
    elif viewer.kind in (PrincipalKind.MEMBER, PrincipalKind.STAFF):
        family = viewer.session
    if not family:
        return False
    await end_family(rt, family)
    return True


async def revoke_subject(rt: Runtime, subject: str) -> None:
    """Sign a principal out everywhere at once: every refresh family, every access token
    issued until now (deactivation)."""
    await auth_store.revoke_subject_tokens(subject, clock.now())
    await revocation.revoke_subject(rt.cache, rt.settings, subject)
