"""Consents per purpose: dated, versioned, append-only; the newest row is in force.
Withdrawing is one call, like granting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain import clock
from domain.auth.model import Principal, PrincipalKind
from domain.db import in_transaction
from domain.errors import InvalidInput
from domain.members import store
from domain.members.model import ConsentPurpose
from domain.members.services import MemberView, get
from domain.runtime import Runtime


@dataclass(frozen=True)
class ConsentView:
    purpose: str
    granted: bool
    policy_version: str
    recorded_at: datetime | None  # None: never asked, so not granted


async def consents_of(member: MemberView) -> list[ConsentView]:
    """The state of every purpose, in the order of ConsentPurpose."""
    return (await consents_of_many([member.id]))[member.id]


async def consents_of_many(member_ids: list[int]) -> dict[int, list[ConsentView]]:
    """``consents_of`` for many members in one statement."""
    rows = await store.consents_by_member(member_ids)
    return {m: _in_force(rows.get(m, [])) for m in member_ids}


def _in_force(rows: list[dict]) -> list[ConsentView]:
    latest = {row["purpose"]: row for row in rows}  # rows oldest first: the newest wins
    out = []
    for purpose in ConsentPurpose:
        row = latest.get(purpose.value)
        out.append(
            ConsentView(purpose.value, row["granted"], row["policy_version"], row["recorded_at"])
            if row
            else ConsentView(purpose.value, False, "", None)
        )
    return out


async def granted(member_id: int, purpose: ConsentPurpose) -> bool:
    """Is ``purpose`` granted now? (For the notification rules.)"""
    row = await store.latest_consent(member_id, purpose.value)
    return bool(row and row.granted)


async def update(
    rt: Runtime, viewer: Principal, member_id: int, changes: dict[str, bool]
) -> list[ConsentView]:
    """Record the member's choices (only the member themself records consent)."""
    if viewer.kind is not PrincipalKind.MEMBER or viewer.id != member_id:
        raise InvalidInput("Only the member can give or withdraw consent.", field="memberId")
    if not changes:
        raise InvalidInput("Say which purposes to grant or withdraw.", field="consents")
    for purpose in changes:
        if purpose not in ConsentPurpose.__members__:
            raise InvalidInput(f"Unknown purpose {purpose!r}.", field="purpose")
    member = await get(rt, viewer, member_id)
    now = clock.now()
    async with in_transaction():
        current = {c.purpose: c.granted for c in await consents_of(member) if c.recorded_at}
        changed = {p: v for p, v in changes.items() if current.get(p) is not v}
        await store.add_consents(
            member.id,
            changed,
            policy_version=rt.settings.consent_policy_version,
            source="member",
            at=now,
        )
    return await consents_of(member)
