"""Notifications query (staff)."""

from __future__ import annotations

import strawberry

from resolvers import notifications as r
from schema.members.fields import MEMBER_STAFF
from schema.notifications.types import Notification


@strawberry.type
class NotificationQuery:
    notifications: list[Notification] = strawberry.field(
        resolver=r.notifications,
        permission_classes=[MEMBER_STAFF],
        description="Messages to a member in your scope: sent, deferred or suppressed, and why.",
    )
