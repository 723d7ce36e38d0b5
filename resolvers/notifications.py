"""Notification resolvers."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry

from domain.errors import NotFound
from domain.notifications import marketing
from resolvers.members import member_pk
from resolvers.nodes import visible_nodes
from schema.context import Info
from schema.notifications import types as t
from schema.notifications.types import Notification
from schema.relay import page_size


async def notifications(
    info: Info, member_id: strawberry.ID, first: int = 50
) -> list[Notification] | None:
    ctx = info.context
    pk = member_pk(member_id)
    limit = page_size(first, ctx.rt.settings.gql_page_max)
    try:
        rows = await marketing.of_member(ctx.rt, ctx.viewer, pk, limit)
    except NotFound:
        return None  # missing or outside the caller's scope, as `member` answers
    return [_notification(r) for r in rows]


def _notification(r: marketing.MessageRow) -> Notification:
    return Notification(**r.__dict__)


@t.notification_nodes.install
async def notification_nodes(info: Info, node_ids: Iterable[str]) -> list[Notification | None]:
    return await visible_nodes(
        info,
        "Notification",
        node_ids,
        lambda ids: marketing.by_ids(info.context.rt, ids),
        lambda pair: _notification(pair[1]),
        lambda pair: pair[0],
    )
