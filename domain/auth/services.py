"""Use cases of member sign-in by a one-time SMS code.

Staff passwords and partner client secrets: ``domain.auth.credentials``; sessions,
refresh, sign-out and revocation: ``domain.auth.sessions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import clock
from domain.auth import store
from domain.auth.model import Principal, PrincipalKind, codes_equal, new_code
from domain.auth.sessions import TokenPair, start_session
from domain.cache import hit
from domain.db import in_transaction
from domain.errors import (
    CodeExpired,
    InvalidCode,
    PermissionDenied,
    RateLimited,
    TooManyAttempts,
)
from domain.members import store as members
from domain.members.model import normalize_phone
from domain.notifications import services as notifications
from domain.notifications import sms_budget
from domain.notifications.model import Channel, Purpose
from domain.runtime import Runtime


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
    latest = await store.latest_challenge(phone_hash)
    if latest and (now - latest.created_at).total_seconds() < s.otp_resend_interval_s:
        wait = s.otp_resend_interval_s - int((now - latest.created_at).total_seconds())
        raise RateLimited("Wait before asking for another code.", retry_after_s=max(wait, 1))
    count, left = await hit(rt.cache, f"otp:phone:{phone_hash}:{day}", 26 * 3600)
    if count > s.otp_max_per_phone_per_day:
        raise RateLimited("Too many codes for this number today.", retry_after_s=left)
    await sms_budget.spend_one(rt)  # the global SMS spend cap (all processes)
    code = new_code(s.otp_length)
    async with in_transaction():
        await store.add_challenge(
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
    return await start_session(rt, Principal(kind=PrincipalKind.MEMBER, id=member.id))


async def _consume_challenge(rt: Runtime, phone_hash: str, code: str) -> None:
    now = clock.now()
    limit = rt.settings.otp_max_attempts
    challenge = await store.open_challenge(phone_hash, now)
    if challenge is None:
        raise CodeExpired()
    if challenge.attempts >= limit:
        raise TooManyAttempts()
    expected = rt.cipher.blind_index(code, purpose=f"otp:{phone_hash}")
    if not codes_equal(expected, challenge.code_hash):
        counted = await store.count_wrong_code(challenge.id, limit)
        if not counted:
            raise TooManyAttempts()
        attempts = await store.challenge_attempts(challenge.id)
        raise InvalidCode(attempts_left=max(limit - attempts, 0))
    used = await store.consume_challenge(challenge.id, limit, now)
    if not used:  # another request used it a moment ago, or the last attempt was burned
        raise CodeExpired()
