"""Member resolvers."""

from __future__ import annotations

from domain.members import services
from domain.members.services import MemberView
from resolvers.common import attempt
from schema.auth.types import RegistrationChannel
from schema.context import Info
from schema.members.types import Member


def to_member(v: MemberView) -> Member:
    return Member(
        id=v.id,
        display_name=v.display_name,
        phone=v.phone,
        registration_channel=RegistrationChannel(v.registration_channel),
        status=v.status,
        member_since=v.member_since,
    )


async def me(info: Info) -> Member:
    ctx = info.context
    return to_member(await services.me(ctx.rt, ctx.viewer))


async def member_lookup(info: Info, phone: str):
    ctx = info.context
    return await attempt(services.lookup_by_phone(ctx.rt, ctx.viewer, phone), to_member)


async def members_by_ids(info: Info, ids: list[int]) -> list[Member | None]:
    ctx = info.context
    views = await services.get_many(ctx.rt, ctx.viewer, ids)
    return [to_member(v) if v else None for v in views]
