"""Member rows: registration (member + card + "new" tag in one transaction) and the
encrypted personal fields. Callers above this module decide who may do what.

The area's other rows are read and written in the modules of this package (cards,
identities/consents/birthdays, scoped reads, merges), re-exported here: callers use
``from domain.members import store`` and ``store.<function>``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypedDict, cast

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain import clock, sql
from domain.errors import PhoneTaken
from domain.members.model import NEW_TAG, Status, birth_month_day, new_card_number
from domain.members.store.cards import (  # noqa: F401 (re-exported)
    add_card_history,
    card_by_number,
    lock_card,
    number_taken,
    number_was_replaced,
    save_card,
)
from domain.members.store.identities import (  # noqa: F401 (re-exported)
    active_born_on,
    add_birthday_greeting,
    add_consents,
    add_identity,
    delete_identity,
    identities_by_ids,
    identities_of_members,
    identity_by_key,
    identity_ids_of,
    identity_with_member,
    latest_consent,
    move_identities,
    return_identities,
)
from domain.members.store.merges import (  # noqa: F401 (re-exported)
    add_merge,
    add_tags,
    drop_tags,
    lock_merge,
    lock_pair,
    mark_merged,
    mark_undone,
    mark_unmerged,
    merges_by_ids,
    merges_into,
    tags_of,
)
from domain.members.store.scoped import (  # noqa: F401 (re-exported)
    Scope,
    in_scope,
    member_page,
    visible_member,
    visible_member_ids,
    visible_members,
)
from domain.members.tables import Card, Consent, Member, MemberIdentity, MemberTag
from domain.runtime import Runtime

PHONE_CONTEXT = "members.phone"
BIRTHDAY_CONTEXT = "members.birthday"
INCOME_CONTEXT = "members.income"
CARD_ATTEMPTS = 5


@dataclass
class NewMember:
    phone: str  # E.164, already normalised
    channel: str
    registered_by: str = ""
    display_name: str = ""
    gender: str = "UNKNOWN"
    birthday: date | None = None
    income_band: str | None = None
    region_id: int | None = None
    home_store_id: int | None = None


async def by_phone(rt: Runtime, e164: str) -> Member | None:
    return await Member.get_or_none(phone_hash=rt.phone_index(e164))


async def current(member: Member) -> Member:
    """Follow merges to the record that holds the person's data now."""
    seen = 0
    while member.merged_into_id is not None and seen < 10:
        member = await Member.get(id=member.merged_into_id)
        seen += 1
    return member


async def register(rt: Runtime, new: NewMember) -> Member:
    """Create the member with their card and the ``new`` tag, or PhoneTaken."""
    now = clock.now()
    try:
        async with in_transaction():  # a savepoint when nested: a duplicate aborts only this
            member = await Member.create(
                phone_hash=rt.phone_index(new.phone),
                phone_enc=rt.cipher.encrypt(new.phone, context=PHONE_CONTEXT),
                display_name=new.display_name,
                gender=new.gender,
                registration_channel=new.channel,
                registered_by=new.registered_by,
                region_id=new.region_id,
                home_store_id=new.home_store_id,
                created_at=now,
                **personal_fields(rt, birthday=new.birthday, income_band=new.income_band),
            )
            await issue_card(member.id)
            await MemberTag.create(member_id=member.id, tag=NEW_TAG, created_at=now)
    except IntegrityError:
        raise PhoneTaken(field="phone") from None
    return member


async def get_or_create_by_phone(rt: Runtime, e164: str, channel: str) -> tuple[Member, bool]:
    """Sign-in: the member with this phone (after merges), registering one if none exists."""
    found = await by_phone(rt, e164)
    if found is None:
        try:
            return await register(rt, NewMember(phone=e164, channel=channel)), True
        except PhoneTaken:  # registered by a concurrent request a moment ago
            found = await by_phone(rt, e164)
            assert found is not None
    return await current(found), False


async def tags_by_member(member_ids: list[int]) -> dict[int, list[str]]:
    """Each member's tags, alphabetically (every id present, with [] when it has none)."""
    out: dict[int, list[str]] = {m: [] for m in member_ids}
    for row in await MemberTag.filter(member_id__in=member_ids).order_by("tag"):
        out[row.member_id].append(row.tag)
    return out


async def issue_card(member_id: int) -> Card:
    """The member's card, issuing one if they have none. The unique member_id makes a
    concurrent second issue fail, and we answer with the card the winner made."""
    existing = await Card.get_or_none(member_id=member_id)
    if existing is not None:
        return existing
    now = clock.now()
    for _ in range(CARD_ATTEMPTS):
        try:
            async with in_transaction():
                return await Card.create(
                    member_id=member_id,
                    number=new_card_number(),
                    status="ACTIVE",
                    issued_at=now,
                    status_changed_at=now,
                )
        except IntegrityError:
            existing = await Card.get_or_none(member_id=member_id)
            if existing is not None:
                return existing
            # else a number collision (1 in 10^14): draw another
    raise RuntimeError("could not draw a free card number")


class PersonalFields(TypedDict, total=False):
    birthday_enc: str
    birth_md_hash: str
    income_enc: str


def personal_fields(
    rt: Runtime, *, birthday: date | None = None, income_band: str | None = None
) -> PersonalFields:
    """Column values for the encrypted personal fields that are given."""
    out: PersonalFields = {}
    if birthday is not None:
        out["birthday_enc"] = rt.cipher.encrypt(birthday.isoformat(), context=BIRTHDAY_CONTEXT)
        out["birth_md_hash"] = rt.cipher.blind_index(birth_month_day(birthday), purpose="bday")
    if income_band is not None:
        out["income_enc"] = rt.cipher.encrypt(income_band, context=INCOME_CONTEXT)
    return out


def phone_of(rt: Runtime, member: Member) -> str:
    return rt.cipher.decrypt(member.phone_enc, context=PHONE_CONTEXT)


def birthday_of(rt: Runtime, member: Member) -> date | None:
    if not member.birthday_enc:
        return None
    return date.fromisoformat(rt.cipher.decrypt(member.birthday_enc, context=BIRTHDAY_CONTEXT))


def income_of(rt: Runtime, member: Member) -> str | None:
    if not member.income_enc:
        return None
    return rt.cipher.decrypt(member.income_enc, context=INCOME_CONTEXT)


def is_active(member: Member) -> bool:
    return member.status == Status.ACTIVE


# Row reads and writes other areas need (they never import domain.members.tables).


async def get(member_id: int) -> Member:
    return await Member.get(id=member_id)


async def get_or_none(member_id: int, **where: Any) -> Member | None:
    return await Member.get_or_none(id=member_id, **where)


async def lock(member_id: int) -> Member:
    """The member row under a row lock (inside the caller's transaction)."""
    return await Member.select_for_update().get(id=member_id)


async def lock_or_none(member_id: int) -> Member | None:
    return await Member.select_for_update().get_or_none(id=member_id)


async def set_tier(member_id: int, tier_id: int | None) -> None:
    await Member.filter(id=member_id).update(tier_id=tier_id)


async def update_member(member_id: int, values: dict[str, object], updated_at: datetime) -> None:
    """Write these column values of the member (profile edits, freeze)."""
    await Member.filter(id=member_id).update(**values, updated_at=updated_at)


async def drop_tag(member_id: int, tag: str) -> None:
    await MemberTag.filter(member_id=member_id, tag=tag).delete()


async def identity_external_id(member_id: int, channel: str) -> str | None:
    row = await MemberIdentity.get_or_none(member_id=member_id, channel=channel)
    return row.external_id if row else None


async def active_created_between(after: datetime, until: datetime, without: Any) -> list[int]:
    """Ids of ACTIVE members registered in (after, until], excluding the ids ``without``."""
    ids = await (
        Member.filter(status=Status.ACTIVE.value, created_at__lte=until, created_at__gt=after)
        .exclude(id__in=without)
        .values_list("id", flat=True)
    )
    return cast(list[int], ids)


CARDS = "SELECT member_id, number, status, issued_at FROM cards WHERE member_id IN (:members)"


async def card_rows(member_ids: list[int]) -> list[dict]:
    """The cards of these members as dict rows (plain SQL: member home reads it on every
    open)."""
    return await sql.select(CARDS, {"members": member_ids}, times=("issued_at",))


# --- batch reads for many members at once -------------------------------------------------


async def consents_by_member(member_ids: list[int]) -> dict[int, list[dict]]:
    """Every consent row of each member, oldest first (the newest per purpose is in force)."""
    out: dict[int, list[dict]] = {m: [] for m in member_ids}
    rows = (
        await Consent.filter(member_id__in=member_ids)
        .order_by("id")
        .values("member_id", "purpose", "granted", "policy_version", "recorded_at")
    )
    for row in rows:
        out[row["member_id"]].append(row)
    return out
