"""Notifications query (staff)."""

from __future__ import annotations

import strawberry

from domain.auth import policy
from resolvers import notifications as r
from schema.notifications.types import Notification
from schema.permissions import Allow


@strawberry.type
class NotificationQuery:
    notifications: list[Notification] | None = strawberry.field(
        resolver=r.notifications,
        permission_classes=[Allow(policy.READ_NOTIFICATIONS)],
        description="Messages to a member in your scope: sent, deferred or suppressed, and "
        "why, newest first, `first` 1-100 (GQL_PAGE_MAX); null when the member is missing or "
        "outside your scope.",
    )
