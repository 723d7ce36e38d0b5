"""Member use cases. Visibility is decided here, so no field can leak around it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.auth.model import Principal, PrincipalKind
from domain.errors import NotFound
from domain.members import store
from domain.members.model import mask_phone, normalize_phone
from domain.members.tables import Member
from domain.runtime import Runtime


@dataclass(frozen=True)
class MemberView:
    id: int
    display_name: str
    phone: str  # full for the member themself, masked for everyone else
    registration_channel: str
    status: str
    member_since: datetime


def visible_filter(viewer: Principal) -> dict[str, object] | None:
    """ORM filter restricting members to what ``viewer`` may see (None: nothing)."""
    if viewer.kind is PrincipalKind.MEMBER:
        return {"id": viewer.id}
    if viewer.kind is PrincipalKind.STAFF:
        if viewer.store_id is not None:
            return {"home_store_id": viewer.store_id}
        if viewer.region_id is not None:
            return {"home_store__region_id": viewer.region_id}
        return {}
    if viewer.kind is PrincipalKind.PARTNER and "members:read" in viewer.scopes:
        return {}
    return None


def _view(rt: Runtime, viewer: Principal, m: Member) -> MemberView:
    phone = store.phone_of(rt, m)
    own = viewer.kind is PrincipalKind.MEMBER and viewer.id == m.id
    return MemberView(
        id=m.id,
        display_name=m.display_name,
        phone=phone if own else mask_phone(phone),
        registration_channel=m.registration_channel,
        status=m.status,
        member_since=m.created_at,
    )


async def get_many(rt: Runtime, viewer: Principal, ids: list[int]) -> list[MemberView | None]:
    """Members by id in the order asked; None where missing or not visible."""
    scope = visible_filter(viewer)
    if scope is None or not ids:
        return [None] * len(ids)
    rows = {m.id: m for m in await Member.filter(id__in=ids, **scope)}
    return [_view(rt, viewer, rows[i]) if i in rows else None for i in ids]


async def me(rt: Runtime, viewer: Principal) -> MemberView:
    (found,) = await get_many(rt, viewer, [viewer.id or 0])
    if found is None:
        raise NotFound("Your member account no longer exists.")
    return found


async def lookup_by_phone(rt: Runtime, viewer: Principal, raw_phone: str) -> MemberView:
    phone = normalize_phone(raw_phone)
    member = await store.by_phone(rt, phone)
    (found,) = await get_many(rt, viewer, [member.id if member else 0])
    if found is None:
        raise NotFound("No member with this phone number.")
    return found
