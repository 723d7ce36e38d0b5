"""Notification resolvers."""

from __future__ import annotations

import strawberry

from domain.notifications import marketing
from resolvers.members import member_pk
from schema.context import Info
from schema.notifications.types import Notification


async def notifications(
    info: Info, member_id: strawberry.ID, first: int = 50
) -> list[Notification]:
    ctx = info.context
    rows = await marketing.of_member(ctx.rt, ctx.viewer, member_pk(member_id), min(first, 100))
    return [Notification(**{**r.__dict__, "id": strawberry.ID(str(r.id))}) for r in rows]
