"""Member use cases: register, read (scoped, masked), update, reveal, look up.

Visibility comes from ``domain.members.scope`` in every query here. A ``MemberView``
is only ever built from a row that passed it, so the functions that load a member's
card, identities or consents take a view as their proof of access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from domain import clock
from domain.audit import services as audit
from domain.auth.model import Principal, PrincipalKind, Role
from domain.errors import InvalidInput, NotFound, PermissionDenied, PhoneTaken
from domain.members import store
from domain.members.model import (
    Channel,
    Gender,
    IncomeBand,
    Status,
    check_birthday,
    clean_name,
    mask_phone,
    normalize_phone,
)
from domain.members.scope import get_visible, store_in_scope, visible
from domain.members.tables import Member
from domain.org.tables import Region, Store
from domain.runtime import Runtime


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
        region_id=m.region_id,  # type: ignore[attr-defined]
        home_store_id=m.home_store_id,  # type: ignore[attr-defined]
        tier_id=m.tier_id,  # type: ignore[attr-defined]
        registration_channel=m.registration_channel,
        status=m.status,
        member_since=m.created_at,
        merged_into_id=m.merged_into_id,  # type: ignore[attr-defined]
    )


# --- reads ---------------------------------------------------------------------------------


async def get_many(rt: Runtime, viewer: Principal, ids: list[int]) -> list[MemberView | None]:
    """Members by id in the order asked; None where missing or not visible."""
    if not ids:
        return []
    rows = {m.id: m for m in await visible(rt.settings, viewer).filter(id__in=ids)}
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
    qs = visible(rt.settings, viewer)
    if after_id is not None:
        qs = qs.filter(id__gt=after_id)
    if f.phone:
        qs = qs.filter(phone_hash=rt.phone_index(normalize_phone(f.phone)))
    if f.card_number:
        qs = qs.filter(card__number=f.card_number.strip())
    if f.tier_code:
        qs = qs.filter(tier__code=f.tier_code)
    if f.store_code:
        qs = qs.filter(home_store__code=f.store_code)
    if f.tag:
        qs = qs.filter(tags__tag=f.tag)
    if f.registered_from:
        qs = qs.filter(created_at__gte=f.registered_from)
    if f.registered_before:
        qs = qs.filter(created_at__lt=f.registered_before)
    qs = qs.filter(status=f.status) if f.status else qs.exclude(status=Status.MERGED)
    rows = await qs.order_by("id").limit(limit + 1)
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
        channel=_enum(Channel, reg.channel, "channel"),
        registered_by=viewer.subject,
        display_name=clean_name(reg.display_name),
        gender=_enum(Gender, reg.gender, "gender"),
        birthday=check_birthday(reg.birthday, clock.business_date()) if reg.birthday else None,
        income_band=_enum(IncomeBand, reg.income_band, "incomeBand") if reg.income_band else None,
    )
    new.region_id, new.home_store_id = await _places(
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


async def _places(
    rt: Runtime, viewer: Principal, region_code: str | None, store_code: str | None
) -> tuple[int | None, int | None]:
    """Region and home store ids by code (NotFound), the store inside the viewer's scope."""
    region_id = store_id = None
    if region_code:
        region = await Region.get_or_none(code=region_code)
        if region is None:
            raise NotFound(f"No region {region_code!r}.", field="regionCode")
        region_id = region.id
    if store_code:
        found = await Store.get_or_none(code=store_code)
        if found is None:
            raise NotFound(f"No store {store_code!r}.", field="homeStoreCode")
        if not store_in_scope(rt.settings, viewer, found.id, found.region_id):  # type: ignore[attr-defined]
            raise PermissionDenied("That store is outside your region.", field="homeStoreCode")
        store_id = found.id
        region_id = region_id or found.region_id  # type: ignore[attr-defined]
    return region_id, store_id


def _enum(kind: type, value: str, name: str) -> str:
    try:
        return kind(value).value
    except ValueError:
        allowed = ", ".join(v.value for v in kind)
        raise InvalidInput(f"{value!r} is not one of {allowed}.", field=name) from None


# --- update ---------------------------------------------------------------------------------

SELF_FIELDS = frozenset(
    {"display_name", "gender", "birthday", "income_band", "region_code", "home_store_code"}
)
STAFF_FIELDS = frozenset({"display_name", "home_store_code", "birthday", "status"})
STATUS_ROLES = frozenset({Role.ADMIN, Role.SERVICE_AGENT})


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
        member = await Member.select_for_update().get(id=member.id)
        values = await _validated(rt, viewer, member, changes)
        if values:
            await Member.filter(id=member.id).update(**values, updated_at=clock.now())
        if staff:
            await audit.record(viewer, "member.update", "member", member.id, fields=sorted(changes))
    return await get(rt, viewer, member_id)


async def _validated(
    rt: Runtime, viewer: Principal, member: Member, changes: dict[str, Any]
) -> dict[str, object]:
    values: dict[str, object] = {}
    if "display_name" in changes:
        values["display_name"] = clean_name(changes["display_name"] or "")
    if "gender" in changes:
        values["gender"] = _enum(Gender, changes["gender"] or Gender.UNKNOWN, "gender")
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
                store.personal_fields(rt, income_band=_enum(IncomeBand, band, "incomeBand"))
            )
    if "region_code" in changes or "home_store_code" in changes:
        region_id, store_id = await _places(
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
    if viewer.role not in STATUS_ROLES:
        raise PermissionDenied("Only an admin or a service agent can freeze a member.")
    target = _enum(Status, status, "status")
    if target not in (Status.ACTIVE, Status.FROZEN) or member.status not in (
        Status.ACTIVE,
        Status.FROZEN,
    ):
        raise InvalidInput(
            "Only ACTIVE and FROZEN members can be frozen or unfrozen.", field="status"
        )
    return target


# --- reveal -------------------------------------------------------------------------------

REVEAL_ROLES = frozenset({Role.ADMIN, Role.SERVICE_AGENT})
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
    if viewer.kind is not PrincipalKind.STAFF or viewer.role not in REVEAL_ROLES:
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
