"""Member queries and writes."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.members.tables import Member
from domain.runtime import Runtime

PHONE_CONTEXT = "members.phone"


async def by_phone(rt: Runtime, e164: str) -> Member | None:
    return await Member.get_or_none(phone_hash=rt.phone_index(e164))


async def get_or_create_by_phone(rt: Runtime, e164: str, channel: str) -> tuple[Member, bool]:
    """The member with this phone, registering one if none exists (race-safe)."""
    found = await by_phone(rt, e164)
    if found is not None:
        return found, False
    try:
        async with in_transaction():  # a savepoint when nested: a duplicate aborts only this
            member = await Member.create(
                phone_hash=rt.phone_index(e164),
                phone_enc=rt.cipher.encrypt(e164, context=PHONE_CONTEXT),
                registration_channel=channel,
            )
        return member, True
    except IntegrityError:
        member = await by_phone(rt, e164)
        assert member is not None
        return member, False


def phone_of(rt: Runtime, member: Member) -> str:
    return rt.cipher.decrypt(member.phone_enc, context=PHONE_CONTEXT)
