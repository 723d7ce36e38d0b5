"""Sign-in rows that change by conditional update (the callers decide when)."""

from __future__ import annotations

from tortoise.expressions import F

from domain.auth.tables import OtpChallenge


async def count_wrong_code(challenge_id: int, limit: int) -> int:
    """One more failed attempt, only while under ``limit`` (0: the limit was reached)."""
    return await OtpChallenge.filter(id=challenge_id, attempts__lt=limit).update(
        attempts=F("attempts") + 1
    )
