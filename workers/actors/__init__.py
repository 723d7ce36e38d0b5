"""One thin function per job; each takes ids and calls one domain service."""

from workers.actors.coupons import (
    coupon_daily_triggers,
    coupon_for_birthday,
    coupon_for_points_expiry,
    coupon_for_tier_upgrade,
    coupon_year_end_rebate,
    expire_coupons,
    remind_expiring_coupons,
)
from workers.actors.members import birthday_events
from workers.actors.notifications import (
    notify_points_expiring,
    purge_message_bodies,
    release_deferred_messages,
    send_notification,
)
from workers.actors.points import expire_points, release_pending_points, remind_expiring_points
from workers.actors.tiers import notify_tier_event, recompute_tier, tier_nightly_batch

ALL_ACTORS = [
    send_notification,
    release_pending_points,
    expire_points,
    remind_expiring_points,
    recompute_tier,
    tier_nightly_batch,
    notify_tier_event,
    release_deferred_messages,
    notify_points_expiring,
    purge_message_bodies,
    birthday_events,
    coupon_for_birthday,
    coupon_for_tier_upgrade,
    coupon_for_points_expiry,
    coupon_daily_triggers,
    coupon_year_end_rebate,
    expire_coupons,
    remind_expiring_coupons,
]
