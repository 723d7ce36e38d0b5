"""Notification types."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay

from domain.notifications import model as m
from schema.hooks import Hook

if TYPE_CHECKING:
    from schema.context import Info

NotificationChannel = strawberry.enum(
    m.Channel, name="NotificationChannel", description="How a message reaches a member."
)
NotificationPurpose = strawberry.enum(
    m.Purpose, name="NotificationPurpose", description="What a message is for."
)
NotificationStatus = strawberry.enum(
    m.Status, name="NotificationStatus", description="What became of a message."
)


# Implemented by the resolvers layer, which imports these types (schema/hooks.py).
notification_nodes: Hook[[Info, Iterable[str]], Awaitable[list[Notification | None]]] = Hook(
    "notification_nodes"
)


@strawberry.type(description="A message to a member and what became of it.")
class Notification(relay.Node):
    id: relay.NodeID[int]
    channel: NotificationChannel
    template: str
    purpose: NotificationPurpose
    status: NotificationStatus = strawberry.field(
        description=(
            "QUEUED, SENDING, SENT, DEFERRED (quiet hours), SUPPRESSED (the rules said no) "
            "or FAILED (the provider will never take it); reason says why."
        )
    )
    reason: str = strawberry.field(description="Why it was deferred, suppressed or failed.")
    adapter: str = strawberry.field(
        description="Who delivered it: local-sink, tencent-sms, jpush, wechat-subscribe, smtp."
    )
    body: str
    send_after: datetime | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Notification | None]:
        return await notification_nodes(info, node_ids)
