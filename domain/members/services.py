"""Member use cases: register, read (scoped, masked), update, reveal, look up.

Visibility comes from ``domain.members.scope`` in every query here. A ``MemberView``
is only ever built from a row that passed it, so the functions that load a member's
card, identities or consents take a view as their proof of access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from domain import clock
from domain.audit import services as audit
from domain.auth.model import Principal, PrincipalKind
from domain.db import in_transaction
from domain.errors import InvalidInput, NotFound, PermissionDenied, PhoneTaken
from domain.members import store
from domain.members.model import (
    Channel,
    Gender,
    IncomeBand,
    check_birthday,
    clean_name,
    mask_phone,
    normalize_phone,
)
from domain.members.scope import get_visible, member_filter, store_in_scope
from domain.org import store as org_store
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.members.tables import Member


@dataclass(frozen=True)
class MemberView:
    id: int
    display_name: str
    phone: str  # full for the member themself, masked for everyone else
    gender: str
    birthday: date | None  # the member themself only; staff use reveal
    income_band: str | None  # the member themself only
    region_id: int | None
    home_store_id: int | None
    tier_id: int | None
    registration_channel: str
    status: str
    member_since: datetime
    merged_into_id: int | None = None


def view(rt: Runtime, viewer: Principal, m: Member) -> MemberView:
    own = viewer.kind is PrincipalKind.MEMBER and viewer.id == m.id
    phone = store.phone_of(rt, m)
    return MemberView(
        id=m.id,
        display_name=m.display_name,
        phone=phone if own else mask_phone(phone),
        gender=m.gender,
        birthday=store.birthday_of(rt, m) if own else None,
        income_band=store.income_of(rt, m) if own else None,
        region_id=m.region_id,
        home_store_id=m.home_store_id,
        tier_id=m.tier_id,
        registration_channel=m.registration_channel,
        status=m.status,
        member_since=m.created_at,
        merged_into_id=m.merged_into_id,
    )


# --- reads ---------------------------------------------------------------------------------


async def get_many(rt: Runtime, viewer: Principal, ids: list[int]) -> list[MemberView | None]:
    """Members by id in the order asked; None where missing or not visible."""
    if not ids:
        return []
    found = await store.visible_members(member_filter(rt.settings, viewer), ids)
    rows = {m.id: m for m in found}
    return [view(rt, viewer, rows[i]) if i in rows else None for i in ids]


async def get(rt: Runtime, viewer: Principal, member_id: int) -> MemberView:
    return view(rt, viewer, await get_visible(rt.settings, viewer, member_id))


async def me(rt: Runtime, viewer: Principal) -> MemberView:
    try:
        return await get(rt, viewer, viewer.id or 0)
    except NotFound:
        raise NotFound("Your member account no longer exists.") from None


@dataclass(frozen=True)
class MemberFilter:
    phone: str | None = None
    card_number: str | None = None
    tier_code: str | None = None
    store_code: str | None = None
    tag: str | None = None
    registered_from: datetime | None = None
    registered_before: datetime | None = None
    status: str | None = None  # default: every status but MERGED


async def page(
    rt: Runtime, viewer: Principal, f: MemberFilter, *, after_id: int | None, limit: int
) -> tuple[list[MemberView], bool]:
    """Keyset page (by id) of the visible members matching ``f``."""
    rows = await store.member_page(
        member_filter(rt.settings, viewer),
        after_id=after_id,
        limit=limit + 1,
        phone_hash=rt.phone_index(normalize_phone(f.phone)) if f.phone else None,
        card_number=f.card_number.strip() if f.card_number else None,
        tier_code=f.tier_code or None,
        store_code=f.store_code or None,
        tag=f.tag or None,
        created_from=clock.utc_input(f.registered_from, "registeredFrom")
        if f.registered_from
        else None,
        created_before=clock.utc_input(f.registered_before, "registeredBefore")
        if f.registered_before
        else None,
        status=f.status or None,
    )
    return [view(rt, viewer, m) for m in rows[:limit]], len(rows) > limit


# --- register --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    phone: str
    channel: str = Channel.STORE
    display_name: str = ""
    gender: str = Gender.UNKNOWN
    birthday: date | None = None
    income_band: str | None = None
    region_code: str | None = None
    home_store_code: str | None = None


@dataclass(frozen=True)
class Registered:
    member: MemberView
    created: bool


async def register(rt: Runtime, viewer: Principal, reg: Registration) -> Registered:
    """A partner (members:write) or staff registers a member. A partner's retry of its own
    registration answers with the member it created (``created`` false); any other
    existing phone is PhoneTaken. Nothing is written on any error."""
    phone = normalize_phone(reg.phone)
    new = store.NewMember(
        phone=phone,
        channel=enum_value(Channel, reg.channel, "channel"),
        registered_by=viewer.subject,
        display_name=clean_name(reg.display_name),
        gender=enum_value(Gender, reg.gender, "gender"),
        birthday=check_birthday(reg.birthday, clock.business_date()) if reg.birthday else None,
        income_band=enum_value(IncomeBand, reg.income_band, "incomeBand")
        if reg.income_band
        else None,
    )
    new.region_id, new.home_store_id = await places(
        rt, viewer, reg.region_code, reg.home_store_code
    )
    if new.home_store_id is None and viewer.kind is PrincipalKind.STAFF and viewer.store_id:
        new.home_store_id, new.region_id = viewer.store_id, viewer.region_id
    async with in_transaction():
        try:
            member = await store.register(rt, new)
        except PhoneTaken:
            existing = await store.by_phone(rt, phone)
            if existing is None or existing.registered_by != viewer.subject:
                raise
            return Registered(view(rt, viewer, existing), created=False)
        await audit.record(viewer, "member.register", "member", member.id, channel=new.channel)
    return Registered(view(rt, viewer, member), created=True)


async def places(
    rt: Runtime, viewer: Principal, region_code: str | None, store_code: str | None
) -> tuple[int | None, int | None]:
    """Region and home store ids by code (NotFound), the store inside the viewer's scope."""
    region_id = store_id = None
    if region_code:
        region = await org_store.region_by_code(region_code)
        if region is None:
            raise NotFound(f"No region {region_code!r}.", field="regionCode")
        region_id = region.id
    if store_code:
        found = await org_store.store_by_code(store_code)
        if found is None:
            raise NotFound(f"No store {store_code!r}.", field="homeStoreCode")
        if not store_in_scope(rt.settings, viewer, found.id, found.region_id):
            raise PermissionDenied("That store is outside your region.", field="homeStoreCode")
        store_id = found.id
        region_id = region_id or found.region_id
    return region_id, store_id


def enum_value(kind: type[StrEnum], value: str, name: str) -> str:
    try:
        return kind(value).value
    except ValueError:
        allowed = ", ".join(v.value for v in kind)
        raise InvalidInput(f"{value!r} is not one of {allowed}.", field=name) from None
