"""The member's feed signals (dismiss, mute, personalisation, events) and the staff
feed report: the Query / Mutation mixins registered in schema/__init__.py."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.auth import policy
from resolvers import feeds_signals as r
from schema.errors import (
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    TooManyFeedEventsError,
    UnknownCategoryError,
    UnknownFeedItemError,
)
from schema.feeds import signal_types as t
from schema.permissions import Allow

SIGNALS = [Allow(policy.FEED_SIGNALS)]

FeedItemDismissResult = Annotated[
    t.FeedItemDismissSuccess | UnknownFeedItemError | PermissionDeniedError,
    strawberry.union("FeedItemDismissResult"),
]
FeedItemRestoreResult = Annotated[
    t.FeedItemRestoreSuccess | UnknownFeedItemError | PermissionDeniedError,
    strawberry.union("FeedItemRestoreResult"),
]
FeedCategoryMuteResult = Annotated[
    t.FeedCategoryMuteSuccess | UnknownCategoryError | PermissionDeniedError,
    strawberry.union("FeedCategoryMuteResult"),
]
FeedPreferencesUpdateResult = Annotated[
    t.FeedPreferencesUpdateSuccess | PermissionDeniedError,
    strawberry.union("FeedPreferencesUpdateResult"),
]
FeedEventsRecordResult = Annotated[
    t.FeedEventsRecordSuccess
    | TooManyFeedEventsError
    | UnknownFeedItemError
    | InvalidInputError
    | PermissionDeniedError,
    strawberry.union("FeedEventsRecordResult"),
]
FeedReportResult = Annotated[
    t.FeedReport | InvalidInputError | NotFoundError | PermissionDeniedError,
    strawberry.union("FeedReportResult"),
]


@strawberry.type
class FeedSignalsQuery:
    feed_report: FeedReportResult = strawberry.field(
        resolver=r.feed_report,
        permission_classes=[Allow(policy.READ_FEED_REPORT)],
        description="Feed impressions, clicks, add-to-cart and purchase conversion per item "
        "kind, with totals, for a period of Asia/Shanghai dates. The members' org scope: HQ "
        "sees every store, region staff their region's stores, store staff their store's "
        "region (only their own store with STORE_STAFF_SCOPE=store); `storeCode` narrows "
        "to one store of that scope (outside it: PermissionDeniedError).",
    )


@strawberry.type
class FeedSignalsMutation:
    feed_item_dismiss: FeedItemDismissResult = strawberry.mutation(
        resolver=r.feed_item_dismiss,
        permission_classes=SIGNALS,
        description="Not interested: the item stays out of your feed for FEED_DISMISS_DAYS "
        "(90). Again: one dismissal, its `until` moved on. An id of no item your feed may "
        "show (no such product; a coupon you cannot claim; a campaign that is over; a day "
        "none of your points expire): UnknownFeedItemError, nothing written.",
    )
    feed_item_restore: FeedItemRestoreResult = strawberry.mutation(
        resolver=r.feed_item_restore,
        permission_classes=SIGNALS,
        description="Undo a dismissal.",
    )
    feed_category_mute: FeedCategoryMuteResult = strawberry.mutation(
        resolver=r.feed_category_mute,
        permission_classes=SIGNALS,
        description="Never show products of this catalogue category (a path or a whole-"
        "segment prefix, e.g. 生鲜/水果) until unmuted. Unknown: UnknownCategoryError.",
    )
    feed_category_unmute: FeedCategoryMuteResult = strawberry.mutation(
        resolver=r.feed_category_unmute,
        permission_classes=SIGNALS,
        description="Show the category again.",
    )
    feed_preferences_update: FeedPreferencesUpdateResult = strawberry.mutation(
        resolver=r.feed_preferences_update,
        permission_classes=SIGNALS,
        description="Personalised or not (PIPL art. 24). Off: the feed uses no personal "
        "history from now on, and your purchases leave the training set at the next "
        "nightly rebuild. Audited.",
    )
    feed_events_record: FeedEventsRecordResult = strawberry.mutation(
        resolver=r.feed_events_record,
        permission_classes=SIGNALS,
        description="Record impressions, clicks and add-to-cart of feed items: at most "
        "FEED_EVENTS_MAX (100) per call (more: TooManyFeedEventsError, none recorded), "
        "idempotent per clientEventId, written in one statement. Malformed ids or unknown "
        "products: UnknownFeedItemError; a kind an item of that type is never shown as "
        "(a product with COUPON, a coupon with REPLENISH...): InvalidInputError on "
        "`events.<i>.kind`; none recorded either way. Skipped and counted in `skipped`: "
        "events older than 30 days or over 5 minutes ahead, offers (coupon, campaign, "
        "expiring points) your feed does not show now, and personal kinds once "
        "personalisation is off.",
    )
