"""Reads and writes of the auth area's rows: one-time codes, refresh tokens, signing keys.

Rows that change by conditional update report how many rows changed; the callers decide
when (and what a 0 means)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from tortoise.expressions import F

from domain.auth.tables import OtpChallenge, RefreshToken, SigningKey
from domain.db import in_transaction

# --- one-time codes ---------------------------------------------------------------------


async def latest_challenge(phone_hash: str) -> OtpChallenge | None:
    """The newest code sent to this phone (used or not)."""
    return await OtpChallenge.filter(phone_hash=phone_hash).order_by("-created_at").first()


async def add_challenge(
    *, phone_hash: str, code_hash: str, created_at: datetime, expires_at: datetime, client_ip: str
) -> OtpChallenge:
    return await OtpChallenge.create(
        phone_hash=phone_hash,
        code_hash=code_hash,
        created_at=created_at,
        expires_at=expires_at,
        client_ip=client_ip,
    )


async def open_challenge(phone_hash: str, now: datetime) -> OtpChallenge | None:
    """The newest unused, unexpired code of this phone."""
    return (
        await OtpChallenge.filter(phone_hash=phone_hash, consumed_at=None, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )


async def count_wrong_code(challenge_id: int, limit: int) -> int:
    """One more failed attempt, only while under ``limit`` (0: the limit was reached)."""
    return await OtpChallenge.filter(id=challenge_id, attempts__lt=limit).update(
        attempts=F("attempts") + 1
    )


async def challenge_attempts(challenge_id: int) -> int:
    return (await OtpChallenge.get(id=challenge_id)).attempts


async def consume_challenge(challenge_id: int, limit: int, now: datetime) -> int:
    """Mark the code used unless it was used already or its attempts ran out (0 then)."""
    return await OtpChallenge.filter(id=challenge_id, consumed_at=None, attempts__lt=limit).update(
        consumed_at=now
    )


# --- refresh tokens ---------------------------------------------------------------------


async def add_refresh_token(
    *, token_hash: str, family: str, subject: str, issued_at: datetime, expires_at: datetime
) -> RefreshToken:
    return await RefreshToken.create(
        token_hash=token_hash,
        family=family,
        subject=subject,
        issued_at=issued_at,
        expires_at=expires_at,
    )


async def refresh_token_by_hash(token_hash: str) -> RefreshToken | None:
    return await RefreshToken.get_or_none(token_hash=token_hash)


async def spend_refresh_token(token_id: int, now: datetime) -> int:
    """Mark the token used unless it was used or revoked already (0 then: a replay)."""
    return await RefreshToken.filter(id=token_id, used_at=None, revoked_at=None).update(used_at=now)


async def family_revoked(family: str) -> bool:
    """True when any refresh token of the family was revoked."""
    return await RefreshToken.filter(family=family, revoked_at__not_isnull=True).exists()


async def revoke_family(family: str, now: datetime) -> int:
    return await RefreshToken.filter(family=family, revoked_at=None).update(revoked_at=now)


async def revoke_subject_tokens(subject: str, now: datetime) -> int:
    return await RefreshToken.filter(subject=subject, revoked_at=None).update(revoked_at=now)


# --- signing keys -----------------------------------------------------------------------


async def live_signing_keys() -> list[SigningKey]:
    """The keys not retired, oldest first (the last one signs)."""
    return await SigningKey.filter(retired_at=None).order_by("created_at", "kid")


@asynccontextmanager
async def key_creation_lock() -> AsyncIterator[None]:
    """A transaction in which only one process at a time creates the first key (a
    transaction-scoped advisory lock on PostgreSQL; SQLite is one process)."""
    async with in_transaction() as conn:
        if conn.capabilities.dialect == "postgres":
            await conn.execute_query("SELECT pg_advisory_xact_lock(7468201)")
        yield


async def add_signing_key(
    *, kid: str, algorithm: str, public_pem: str, private_enc: str, created_at: datetime
) -> SigningKey:
    return await SigningKey.create(
        kid=kid,
        algorithm=algorithm,
        public_pem=public_pem,
        private_enc=private_enc,
        created_at=created_at,
    )


async def retire_signing_key(kid: str, now: datetime) -> int:
    return await SigningKey.filter(kid=kid, retired_at=None).update(retired_at=now)
