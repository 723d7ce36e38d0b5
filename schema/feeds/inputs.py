"""Inputs of the member's feed signals and of the feed report."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from schema.feeds.signal_types import FeedEventType, FeedKind


@strawberry.input(
    description="One thing the member did with a feed item. An `event` or `kind` outside "
    "its enum is refused by GraphQL validation (the whole call, nothing recorded)."
)
class FeedEventInput:
    client_event_id: str = strawberry.field(
        description="The app's id of this event: recording it again changes nothing."
    )
    item_id: strawberry.ID = strawberry.field(description="The FeedItem.id.")
    kind: FeedKind = strawberry.field(description="The item's kind as shown.")
    event: FeedEventType
    occurred_at: datetime = strawberry.field(
        description="When (no offset: UTC). Older than 30 days or later than 5 minutes "
        "from now: skipped and counted."
    )


@strawberry.input(description="Asia/Shanghai calendar dates, both included (at most 366 days).")
class FeedReportPeriodInput:
    start: date = strawberry.field(name="from")
    end: date = strawberry.field(name="to")
