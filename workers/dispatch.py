"""Event -> actors: the one place that says "after X, do Y"."""

from __future__ import annotations

import dramatiq

from domain.feeds.jobs import TOPIC_REBUILD_RANGE
from domain.feeds.signals import TOPIC_PREFERENCE_CHANGED
from domain.members.birthdays import TOPIC_BIRTHDAY
from domain.members.merge import TOPIC_MERGED, TOPIC_UNMERGED
from domain.notifications.services import TOPIC_REQUESTED
from domain.orders.refunds import TOPIC_ORDER_REFUNDED
from domain.orders.services import TOPIC_ORDER_CREATED
from domain.points.jobs import TOPIC_EXPIRING
from domain.tiers.batch import TOPIC_REVIEW_REMINDER
from domain.tiers.services import TOPIC_TIER_CHANGED
from workers.actors.coupons import (
    coupon_for_birthday,
    coupon_for_points_expiry,
    coupon_for_tier_upgrade,
)
from workers.actors.feeds import feed_rebuild_range, feed_refresh_member
from workers.actors.notifications import notify_points_expiring, send_notification
from workers.actors.tiers import notify_tier_event, recompute_tier

TIER_EVENT = {"member_id": "member_id", "to": "to", "reason": "reason", "review_at": "review_at"}

# topic: [(actor, {actor argument: payload key})]; every actor also gets the event id
ROUTES: dict[str, list[tuple[dramatiq.Actor, dict[str, str]]]] = {
    TOPIC_REQUESTED: [(send_notification, {"message_id": "message_id"})],
    TOPIC_ORDER_CREATED: [
        (recompute_tier, {"member_id": "member_id"}),
        (feed_refresh_member, {"member_id": "member_id"}),
    ],
    TOPIC_ORDER_REFUNDED: [
        (recompute_tier, {"member_id": "member_id"}),
        (feed_refresh_member, {"member_id": "member_id"}),
    ],
    TOPIC_MERGED: [
        (recompute_tier, {"member_id": "survivor"}),
        (feed_refresh_member, {"member_id": "survivor"}),
    ],
    TOPIC_UNMERGED: [
        (recompute_tier, {"member_id": "survivor"}),
        (recompute_tier, {"member_id": "absorbed"}),
        (feed_refresh_member, {"member_id": "survivor"}),
        (feed_refresh_member, {"member_id": "absorbed"}),
    ],
    TOPIC_PREFERENCE_CHANGED: [(feed_refresh_member, {"member_id": "member_id"})],
    TOPIC_REBUILD_RANGE: [
        (feed_rebuild_range, {"range_id": "range_id", "rebuild_id": "rebuild_id"})
    ],
    TOPIC_TIER_CHANGED: [
        (notify_tier_event, TIER_EVENT),
        (
            coupon_for_tier_upgrade,
            {
                "member_id": "member_id",
                "from_tier": "from",
                "to_tier": "to",
                "history_id": "history_id",
            },
        ),
    ],
    TOPIC_BIRTHDAY: [(coupon_for_birthday, {"member_id": "member_id", "year": "year"})],
    TOPIC_REVIEW_REMINDER: [(notify_tier_event, TIER_EVENT)],
    TOPIC_EXPIRING: [
        (
            notify_points_expiring,
            {
                "member_id": "member_id",
                "points": "points",
                "expires_on": "expires_on",
                "last_day": "last_day",
            },
        ),
        (coupon_for_points_expiry, {"member_id": "member_id", "expires_on": "expires_on"}),
    ],
}


def messages_for(topic: str, payload: dict, event_id: int) -> list[tuple[dramatiq.Actor, dict]]:
    return [
        (actor, {**{arg: payload.get(key) for arg, key in args.items()}, "event_id": event_id})
        for actor, args in ROUTES.get(topic, [])
    ]
