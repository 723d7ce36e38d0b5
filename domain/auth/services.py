"""Use cases of sign-in: member OTP, staff password, token refresh, partner credentials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain import clock
from domain.auth.model import (
    PARTNER_SCOPES,
    Principal,
    PrincipalKind,
    Role,
    codes_equal,
    new_code,
    new_refresh_token,
    scopes_granted,
    token_digest,
)
from domain.auth.passwords import verify_secret
from domain.auth.tables import OtpChallenge, RefreshToken
from domain.cache import hit
from domain.errors import (
    CodeExpired,
    InvalidClient,
    InvalidCode,
    InvalidCredentials,
    InvalidRefreshToken,
    InvalidScope,
    PermissionDenied,
    RateLimited,
    RefreshTokenReused,
    TooManyAttempts,
)
from domain.members import store as members
from domain.members.model import normalize_phone
from domain.members.tables import Member
from domain.notifications import services as notifications
from domain.notifications import sms_budget
from domain.notifications.model import Channel, Purpose
from domain.org.tables import Staff
from domain.partners.tables import PartnerApp
from domain.runtime import Runtime


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    principal: Principal


@dataclass(frozen=True)
class OtpSent:
    expires_at: datetime
    resend_after_s: int


# --- members: one-time code by SMS ------------------------------------------------------


async def otp_request(rt: Runtime, raw_phone: str, client_ip: str) -> OtpSent:
    s = rt.settings
    phone = normalize_phone(raw_phone)
    now = clock.now()
    if phone in s.test_phone_numbers:  # fixed code, no SMS (development only)
        return OtpSent(expires_at=now + timedelta(seconds=s.otp_ttl_s), resend_after_s=0)
    phone_hash = rt.phone_index(phone)
    ip_count, ip_left = await hit(rt.cache, f"otp:ip:{client_ip}", 3600)
    if ip_count > s.otp_max_per_ip_per_hour:
        raise RateLimited(retry_after_s=ip_left)
    day = clock.business_date(now).isoformat()
    latest = await OtpChallenge.filter(phone_hash=phone_hash).order_by("-created_at").first()
    if latest and (now - latest.created_at).total_seconds() < s.otp_resend_interval_s:
        wait = s.otp_resend_interval_s - int((now - latest.created_at).total_seconds())
        raise RateLimited("Wait before asking for another code.", retry_after_s=max(wait, 1))
    count, left = await hit(rt.cache, f"otp:phone:{phone_hash}:{day}", 26 * 3600)
    if count > s.otp_max_per_phone_per_day:
        raise RateLimited("Too many codes for this number today.", retry_after_s=left)
    await sms_budget.spend_one(rt)  # the global SMS spend cap (all processes)
    code = new_code(s.otp_length)
    async with in_transaction():
        await OtpChallenge.create(
            phone_hash=phone_hash,
            code_hash=rt.cipher.blind_index(code, purpose=f"otp:{phone_hash}"),
            created_at=now,
            expires_at=now + timedelta(seconds=s.otp_ttl_s),
            client_ip=client_ip[:64],
        )
        await notifications.queue(
            rt,
            channel=Channel.SMS,
            recipient=phone,
            template="otp",
            variables={"code": code, "minutes": s.otp_ttl_s // 60},
            purpose=Purpose.TRANSACTIONAL,
        )
    return OtpSent(
        expires_at=now + timedelta(seconds=s.otp_ttl_s), resend_after_s=s.otp_resend_interval_s
    )


async def member_sign_in(rt: Runtime, raw_phone: str, code: str, channel: str) -> TokenPair:
    s = rt.settings
    phone = normalize_phone(raw_phone)
    fixed = s.test_phone_numbers.get(phone)
    if fixed is not None:
        if not codes_equal(code, fixed):
            raise InvalidCode(attempts_left=s.otp_max_attempts)
    else:
        await _consume_challenge(rt, rt.phone_index(phone), code)
    member, _created = await members.get_or_create_by_phone(rt, phone, channel)
    if not members.is_active(member):
        raise PermissionDenied("This member account is frozen; please contact customer service.")
    return await _start_session(rt, Principal(kind=PrincipalKind.MEMBER, id=member.id))


async def _consume_challenge(rt: Runtime, phone_hash: str, code: str) -> None:
    now = clock.now()
    limit = rt.settings.otp_max_attempts
    challenge = (
        await OtpChallenge.filter(phone_hash=phone_hash, consumed_at=None, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )
    if challenge is None:
        raise CodeExpired()
    if challenge.attempts >= limit:
        raise TooManyAttempts()
    expected = rt.cipher.blind_index(code, purpose=f"otp:{phone_hash}")
    if not codes_equal(expected, challenge.code_hash):
        counted = await OtpChallenge.filter(id=challenge.id, attempts__lt=limit).update(
            attempts=F("attempts") + 1
        )
        if not counted:
            raise TooManyAttempts()
        attempts = (await OtpChallenge.get(id=challenge.id)).attempts
        raise InvalidCode(attempts_left=max(limit - attempts, 0))
    used = await OtpChallenge.filter(id=challenge.id, consumed_at=None, attempts__lt=limit).update(
        consumed_at=now
    )
    if not used:  # another request used it a moment ago, or the last attempt was burned
        raise CodeExpired()


# --- staff -------------------------------------------------------------------------------


async def staff_sign_in(rt: Runtime, email: str, password: str) -> TokenPair:
    staff = await Staff.get_or_none(email=email.strip().lower(), active=True).select_related(
        "store"
    )
    if not verify_secret(staff.password_hash if staff else None, password) or staff is None:
        raise InvalidCredentials()
    return await _start_session(rt, _staff_principal(staff))


def _staff_principal(staff: Staff) -> Principal:
    """Store staff carry their store's region too: row scope may be the whole region."""
    store = staff.store
    return Principal(
        kind=PrincipalKind.STAFF,
        id=staff.id,
        role=Role(staff.role),
        region_id=store.region_id if store else staff.region_id,  # type: ignore[attr-defined]
        store_id=store.id if store else None,
    )


# --- sessions: access token + rotating refresh token ---------------------------------


async def _start_session(rt: Runtime, principal: Principal, family: str | None = None) -> TokenPair:
    token, family, digest = new_refresh_token(family)
    now = clock.now()
    await RefreshToken.create(
        token_hash=digest,
        family=family,
        subject=principal.subject,
        issued_at=now,
        expires_at=now + timedelta(seconds=rt.settings.refresh_token_ttl_s),
    )
    access, ttl = await rt.tokens.issue(principal)
    return TokenPair(access, ttl, token, principal)


async def refresh(rt: Runtime, token: str) -> TokenPair:
    """Rotate: the presented token is spent and a new one of the same family returned.

    Presenting a spent token again is a replay: the whole family is revoked, so a thief
    and the rightful holder are both signed out and the holder signs in afresh. A family
    with any revoked token is revoked as a whole, and the rotation re-checks that after
    writing the successor, so a replay racing a rotation cannot leave a live token behind.
    """
    now = clock.now()
    row = await RefreshToken.get_or_none(token_hash=token_digest(token))
    if row is None or row.expires_at <= now or await _family_revoked(row.family):
        raise InvalidRefreshToken()
    spent = await RefreshToken.filter(id=row.id, used_at=None, revoked_at=None).update(used_at=now)
    if not spent:
        await _revoke_family(row.family)
        raise RefreshTokenReused()
    principal = await _current_principal(row.subject)
    if principal is None:
        await _revoke_family(row.family)
        raise InvalidRefreshToken()
    pair = await _start_session(rt, principal, family=row.family)
    if await _family_revoked(row.family):  # a replay landed while we rotated
        await _revoke_family(row.family)
        raise RefreshTokenReused()
    return pair


async def _family_revoked(family: str) -> bool:
    return await RefreshToken.filter(family=family, revoked_at__not_isnull=True).exists()


async def _revoke_family(family: str) -> None:
    await RefreshToken.filter(family=family, revoked_at=None).update(revoked_at=clock.now())


async def _current_principal(subject: str) -> Principal | None:
    kind, _, sid = subject.partition(":")
    if kind == PrincipalKind.MEMBER.value:
        member = await Member.get_or_none(id=int(sid), status="ACTIVE")
        return Principal(kind=PrincipalKind.MEMBER, id=member.id) if member else None
    if kind == PrincipalKind.STAFF.value:
        staff = await Staff.get_or_none(id=int(sid), active=True).select_related("store")
        return _staff_principal(staff) if staff else None
    return None


async def sign_out(rt: Runtime, token: str) -> bool:
    row = await RefreshToken.get_or_none(token_hash=token_digest(token))
    if row is None:
        return False
    await _revoke_family(row.family)
    return True


# --- partners: OAuth 2.0 client credentials (RFC 6749 section 4.4) ---------------------


@dataclass(frozen=True)
class ClientToken:
    access_token: str
    expires_in: int
    scope: str


async def client_credentials(
    rt: Runtime, client_id: str, client_secret: str, scope: str | None
) -> ClientToken:
    app = await PartnerApp.get_or_none(client_id=client_id, active=True)
    if not verify_secret(app.secret_hash if app else None, client_secret) or app is None:
        raise InvalidClient()
    allowed = frozenset(app.scopes.split()) & PARTNER_SCOPES
    granted = scopes_granted(scope, allowed)
    if granted is None:
        raise InvalidScope()
    principal = Principal(kind=PrincipalKind.PARTNER, id=app.id, scopes=granted)
    access, ttl = await rt.tokens.issue(principal, rt.settings.partner_token_ttl_s)
    return ClientToken(access, ttl, " ".join(sorted(granted)))
