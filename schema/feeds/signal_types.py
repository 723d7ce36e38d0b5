"""Types of the member's feed signals and of the staff feed report (no resolvers here:
``Member.feedSettings`` reaches its resolver through a hook, see schema/hooks.py)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from domain.feeds import model

FeedKind = strawberry.enum(
    model.FeedKind, name="FeedKind", description="Why an item is in the feed."
)
FeedDismissReason = strawberry.enum(
    model.DismissReason, name="FeedDismissReason", description="Why the member dismissed an item."
)
FeedEventType = strawberry.enum(
    model.FeedEventType, name="FeedEventType", description="What the member did with an item."
)


@strawberry.type(description="An item the member dismissed, out of their feed until `until`.")
class FeedDismissedItem:
    id: strawberry.ID = strawberry.field(description="The feed item's id (as FeedItem.id).")
    reason: FeedDismissReason
    until: datetime = strawberry.field(description="Back in the feed after this (UTC).")


@strawberry.type(description="The member's own feed settings.")
class FeedSettings:
    personalised: bool = strawberry.field(
        description="False: the feed uses no personal purchase history (PIPL art. 24)."
    )
    muted_categories: list[str] = strawberry.field(
        description="Catalogue categories (path prefixes) never shown until unmuted."
    )
    dismissed_items: list[FeedDismissedItem] = strawberry.field(
        description="Dismissals still in force, newest first."
    )


@strawberry.type(description="The item is out of the member's feed until `until`.")
class FeedItemDismissSuccess:
    item: FeedDismissedItem


@strawberry.type(description="The dismissal is undone (`restored` false: it was not dismissed).")
class FeedItemRestoreSuccess:
    id: strawberry.ID
    restored: bool


@strawberry.type(description="The category's mute state and the member's settings now.")
class FeedCategoryMuteSuccess:
    category: str = strawberry.field(description="The category as stored (trimmed path).")
    settings: FeedSettings


@strawberry.type(description="The member's personalisation choice, in force at once.")
class FeedPreferencesUpdateSuccess:
    settings: FeedSettings


@strawberry.type(
    description="What became of the events: `accepted` written now, `duplicates` already "
    "recorded (an earlier call with the same clientEventId, or a repeat in this batch), "
    "`skipped` occurred more than 30 days ago or later than 5 minutes from now, or is of "
    "an offer your feed does not show now, or of a personal kind while personalisation "
    "is off (not recorded). A replay "
    "of a whole batch answers accepted 0, duplicates = the first answer's accepted."
)
class FeedEventsRecordSuccess:
    accepted: int
    duplicates: int
    skipped: int


@strawberry.type(
    description="One item kind's figures (kind null: the totals). Rates are basis points "
    "(10000 = 100%), rounded half up, 0 when the denominator is 0."
)
class FeedReportRow:
    kind: FeedKind | None
    impressions: int
    clicks: int
    add_to_cart: int
    click_through_bp: int = strawberry.field(description="clicks / impressions.")
    add_to_cart_bp: int = strawberry.field(description="addToCart / impressions.")
    clicked_products: int = strawberry.field(
        description="Distinct (member, product) pairs clicked in the period."
    )
    purchases: int = strawberry.field(
        description="Of clickedProducts, bought by that member within 7 days after the click."
    )
    conversion_bp: int = strawberry.field(description="purchases / clickedProducts.")


@strawberry.type(description="Feed figures for a period (Asia/Shanghai dates, both included).")
class FeedReport:
    start: date = strawberry.field(name="from")
    end: date = strawberry.field(name="to")
    store_code: str | None
    rows: list[FeedReportRow] = strawberry.field(description="One per item kind.")
    total: FeedReportRow
