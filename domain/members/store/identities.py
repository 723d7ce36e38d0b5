"""Channel identity rows, consent rows and birthday greetings of members."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from domain.members.model import Status
from domain.members.tables import BirthdayGreeting, Consent, Member, MemberIdentity

# --- channel identities -------------------------------------------------------------------


async def identities_of_members(member_ids: list[int]) -> list[MemberIdentity]:
    """Every identity of these members, oldest first."""
    return await MemberIdentity.filter(member_id__in=member_ids).order_by("id")


async def add_identity(
    *, member_id: int, channel: str, external_id: str, linked_at: datetime
) -> MemberIdentity:
    """IntegrityError when (channel, external id) is linked already."""
    return await MemberIdentity.create(
        member_id=member_id, channel=channel, external_id=external_id, linked_at=linked_at
    )


async def identity_by_key(channel: str, external_id: str) -> MemberIdentity:
    return await MemberIdentity.get(channel=channel, external_id=external_id)


async def delete_identity(identity_id: int, member_id: int) -> int:
    """Unlink one identity of this member; the number of rows deleted (0 or 1)."""
    return await MemberIdentity.filter(id=identity_id, member_id=member_id).delete()


async def identity_with_member(channel: str, external_id: str) -> MemberIdentity | None:
    """The identity, its member loaded with it."""
    return await MemberIdentity.get_or_none(
        channel=channel, external_id=external_id
    ).select_related("member")


async def identities_by_ids(ids: list[int]) -> list[MemberIdentity]:
    return await MemberIdentity.filter(id__in=ids)


async def identity_ids_of(member_id: int) -> list[int]:
    ids = await MemberIdentity.filter(member_id=member_id).values_list("id", flat=True)
    return cast(list[int], ids)


async def move_identities(ids: list[int], to_member_id: int) -> None:
    """Re-point these identities to another member (merge)."""
    await MemberIdentity.filter(id__in=ids).update(member_id=to_member_id)


async def return_identities(ids: list[int], from_member_id: int, to_member_id: int) -> None:
    """Re-point those of these identities still on ``from_member_id`` (unmerge)."""
    await MemberIdentity.filter(id__in=ids, member_id=from_member_id).update(member_id=to_member_id)


# --- consents -------------------------------------------------------------------------------


async def latest_consent(member_id: int, purpose: str) -> Consent | None:
    """The consent row in force for this purpose (the newest), None if never asked."""
    return await Consent.filter(member_id=member_id, purpose=purpose).order_by("-id").first()


async def add_consents(
    member_id: int, choices: dict[str, bool], *, policy_version: str, source: str, at: datetime
) -> None:
    """Append one consent row per purpose (rows are never changed)."""
    await Consent.bulk_create(
        [
            Consent(
                member_id=member_id,
                purpose=purpose,
                granted=value,
                policy_version=policy_version,
                source=source,
                recorded_at=at,
            )
            for purpose, value in choices.items()
        ]
    )


# --- birthdays ------------------------------------------------------------------------------


async def active_born_on(birth_md_hashes: list[str]) -> list[tuple[int, str | None]]:
    """(member id, tier code) of the ACTIVE members whose birthday index is one of these."""
    rows = await Member.filter(
        birth_md_hash__in=birth_md_hashes, status=Status.ACTIVE.value
    ).values_list("id", "tier__code")
    return cast(list[tuple[int, str | None]], rows)


async def add_birthday_greeting(member_id: int, year: int, created_at: datetime) -> None:
    """IntegrityError when this year's greeting exists already."""
    await BirthdayGreeting.create(member_id=member_id, year=year, created_at=created_at)
