"""Changing a member: profile edits (member or staff) and the audited reveal of
unmasked personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from domain import clock
from domain.audit import services as audit
from domain.auth import policy, sessions
from domain.auth.model import Principal, PrincipalKind
from domain.db import in_transaction
from domain.errors import InvalidInput, PermissionDenied
from domain.members import store
from domain.members.model import Gender, IncomeBand, Status, check_birthday, clean_name
from domain.members.scope import get_visible
from domain.members.services import MemberView, enum_value, get, places
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.members.tables import Member

# --- update ---------------------------------------------------------------------------------

SELF_FIELDS = frozenset(
    {"display_name", "gender", "birthday", "income_band", "region_code", "home_store_code"}
)
STAFF_FIELDS = frozenset({"display_name", "home_store_code", "birthday", "status"})


async def update(
    rt: Runtime, viewer: Principal, member_id: int, changes: dict[str, Any]
) -> MemberView:
    """Change profile fields. A member edits their own profile (a birthday only once:
    corrections go through customer service); staff edit the fields of STAFF_FIELDS
    for members in scope, status (freeze/unfreeze) only as admin or service agent."""
    staff = viewer.kind is PrincipalKind.STAFF
    allowed = STAFF_FIELDS if staff else SELF_FIELDS
    unknown = set(changes) - allowed
    if unknown:
        raise PermissionDenied(f"You cannot change {', '.join(sorted(unknown))}.")
    async with in_transaction():
        member = await get_visible(rt.settings, viewer, member_id)
        member = await store.lock(member.id)
        values = await _validated(rt, viewer, member, changes)
        if values:
            await store.update_member(member.id, values, clock.now())
        if staff:
            await audit.record(viewer, "member.update", "member", member.id, fields=sorted(changes))
    if values.get("status") == Status.FROZEN:  # signed out everywhere at once, like staff
        await sessions.revoke_subject(rt, f"member:{member.id}")
    return await get(rt, viewer, member_id)


async def _validated(
    rt: Runtime, viewer: Principal, member: Member, changes: dict[str, Any]
) -> dict[str, object]:
    values: dict[str, object] = {}
    if "display_name" in changes:
        values["display_name"] = clean_name(changes["display_name"] or "")
    if "gender" in changes:
        values["gender"] = enum_value(Gender, changes["gender"] or Gender.UNKNOWN, "gender")
    if "birthday" in changes and changes["birthday"] is not None:
        if member.birthday_enc and viewer.kind is PrincipalKind.MEMBER:
            raise InvalidInput(
                "Your birthday is already set; customer service can correct it.",
                field="birthday",
            )
        values.update(
            store.personal_fields(
                rt, birthday=check_birthday(changes["birthday"], clock.business_date())
            )
        )
    if "income_band" in changes:
        band = changes["income_band"]
        if band is None:  # withdrawn: collect the minimum
            values["income_enc"] = None
        else:
            values.update(
                store.personal_fields(rt, income_band=enum_value(IncomeBand, band, "incomeBand"))
            )
    if "region_code" in changes or "home_store_code" in changes:
        region_id, store_id = await places(
            rt, viewer, changes.get("region_code"), changes.get("home_store_code")
        )
        if "region_code" in changes or region_id is not None:
            values["region_id"] = region_id
        if "home_store_code" in changes:
            values["home_store_id"] = store_id
    if "status" in changes:
        values["status"] = _status_change(viewer, member, changes["status"])
    return values


def _status_change(viewer: Principal, member: Member, status: str) -> str:
    if not policy.CHANGE_MEMBER_STATUS.allows(viewer):
        raise PermissionDenied("Only an admin or a service agent can freeze a member.")
    target = enum_value(Status, status, "status")
    if target not in (Status.ACTIVE, Status.FROZEN) or member.status not in (
        Status.ACTIVE,
        Status.FROZEN,
    ):
        raise InvalidInput(
            "Only ACTIVE and FROZEN members can be frozen or unfrozen.", field="status"
        )
    return target


# --- reveal -------------------------------------------------------------------------------

REVEALABLE = ("phone", "birthday", "income_band")


@dataclass(frozen=True)
class Revealed:
    member_id: int
    phone: str | None
    birthday: date | None
    income_band: str | None


async def reveal(
    rt: Runtime, viewer: Principal, member_id: int, fields: list[str], reason: str
) -> Revealed:
    """Unmasked personal data for a staff role that needs it; every call is audited
    (who, which fields, why, from where) in the same transaction as the read."""
    if not policy.REVEAL_PERSONAL_DATA.allows(viewer):
        raise PermissionDenied("Your role cannot see unmasked personal data.")
    reason = " ".join((reason or "").split())
    if len(reason) < 4:
        raise InvalidInput("Say why you need to see this (at least 4 characters).", field="reason")
    wanted = [f for f in REVEALABLE if f in fields] or list(REVEALABLE)
    async with in_transaction():
        member = await get_visible(rt.settings, viewer, member_id)
        await audit.record(
            viewer, "member.reveal", "member", member.id, fields=wanted, reason=reason
        )
    return Revealed(
        member_id=member.id,
        phone=store.phone_of(rt, member) if "phone" in wanted else None,
        birthday=store.birthday_of(rt, member) if "birthday" in wanted else None,
        income_band=store.income_of(rt, member) if "income_band" in wanted else None,
    )
