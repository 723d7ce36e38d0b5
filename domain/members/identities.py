"""Channel identities (mini-program openid/unionid, e-commerce buyer id, legacy POS
card): unique per (channel, external id), each pointing at one member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from domain import clock
from domain.audit import services as audit
from domain.auth.model import Principal, PrincipalKind
from domain.db import IntegrityError, in_transaction
from domain.errors import IdentityTaken, InvalidInput, NotFound
from domain.members import store
from domain.members.model import IdentityChannel, clean_external_id
from domain.members.scope import get_visible
from domain.members.services import MemberView
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.members.tables import Member, MemberIdentity


@dataclass(frozen=True)
class IdentityView:
    id: int
    member_id: int
    channel: str
    external_id: str
    linked_at: datetime


def _view(row: MemberIdentity) -> IdentityView:
    return IdentityView(
        id=row.id,
        member_id=row.member_id,
        channel=row.channel,
        external_id=row.external_id,
        linked_at=row.linked_at,
    )


def _channel(value: str) -> str:
    try:
        return IdentityChannel(value).value
    except ValueError:
        allowed = ", ".join(c.value for c in IdentityChannel)
        raise InvalidInput(f"{value!r} is not one of {allowed}.", field="channel") from None


async def identities_of(members: list[MemberView]) -> list[list[IdentityView]]:
    rows = await store.identities_of_members([m.id for m in members])
    by_member: dict[int, list[IdentityView]] = {m.id: [] for m in members}
    for row in rows:
        by_member[row.member_id].append(_view(row))
    return [by_member[m.id] for m in members]


async def link(
    rt: Runtime, viewer: Principal, member_id: int, channel: str, external_id: str
) -> IdentityView:
    """Link an identity; linking it again to the same member is a no-op (idempotent),
    to another member IdentityTaken (merge the two members instead)."""
    channel, external_id = _channel(channel), clean_external_id(external_id)
    member = await get_visible(rt.settings, viewer, member_id)
    try:
        async with in_transaction():
            row = await store.add_identity(
                member_id=member.id, channel=channel, external_id=external_id, linked_at=clock.now()
            )
            if viewer.kind is not PrincipalKind.MEMBER:
                await audit.record(viewer, "identity.link", "member", member.id, channel=channel)
    except IntegrityError:
        row = await store.identity_by_key(channel, external_id)
        if row.member_id != member.id:
            raise IdentityTaken(field="externalId") from None
    return _view(row)


async def unlink(rt: Runtime, viewer: Principal, member_id: int, identity_id: int) -> bool:
    member = await get_visible(rt.settings, viewer, member_id)
    async with in_transaction():
        deleted = await store.delete_identity(identity_id, member.id)
        if not deleted:
            raise NotFound("No such identity on this member.", field="identityId")
        if viewer.kind is not PrincipalKind.MEMBER:
            await audit.record(viewer, "identity.unlink", "member", member.id)
    return True


async def member_by_identity(channel: str, external_id: str) -> Member:
    row = await store.identity_with_member(_channel(channel), clean_external_id(external_id))
    if row is None:
        raise NotFound("No member with this channel identity.", field="identity")
    return row.member


async def by_ids(ids: list[int]) -> dict[int, IdentityView]:
    """Identities by id (for ``node``; the caller applies member scope)."""
    return {r.id: _view(r) for r in await store.identities_by_ids(ids)}
