"""Coupon jobs: automatic issues from events and daily scans, expiry, reminders.

Every automatic issue carries a ``source_ref`` naming its occasion (``birthday:2026``,
``tier-upgrade:<history id>``, ``winback:<last order day>``...): the unique index on
(template, member, source_ref) makes a redelivered event or a rerun issue nothing twice.
A trigger with no active template of its kind issues nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain import clock
from domain.coupons import model as m
from domain.coupons import store
from domain.coupons.issuing import issue_to
from domain.members import store as members
from domain.notifications.marketing import send_marketing
from domain.notifications.model import Channel
from domain.orders import store as orders
from domain.runtime import Runtime
from domain.tiers import store as tiers

if TYPE_CHECKING:
    from domain.coupons.tables import CouponTemplate

log = logging.getLogger("loyalty.coupons")
Progress = Callable[[str], None]


async def _template(trigger: m.Trigger) -> CouponTemplate | None:
    return await store.trigger_template(trigger.value)


async def _issue(
    trigger: m.Trigger, member_id: int, ref: str, value_fen: int | None = None
) -> str | None:
    """Issue the trigger's coupon once for this occasion; the coupon code, or None."""
    t = await _template(trigger)
    if t is None:
        return None
    got = await issue_to(t, member_id, source="TRIGGER", source_ref=ref, value_fen=value_fen)
    if isinstance(got, str):
        log.info("no %s coupon for member %d (%s): %s", trigger, member_id, ref, got)
        return None
    return got.code


async def on_birthday(member_id: int, year: int) -> str | None:
    """The birthday coupon, its value from the member's tier (none when the tier gives
    none)."""
    member = await members.get_or_none(member_id)
    tier = await tiers.get_or_none(member.tier_id) if member and member.tier_id else None
    value = int((tier.benefits or {}).get("birthdayCouponValueFen") or 0) if tier else 0
    if value <= 0:
        return None
    return await _issue(m.Trigger.BIRTHDAY, member_id, f"birthday:{year}", value)


async def on_tier_changed(
    member_id: int, from_tier: str | None, to_tier: str, history_id: int
) -> str | None:
    """A coupon for moving up the ladder: not for a downgrade, nor for being placed on
    the lowest rung (a new member's first placement)."""
    ranks: dict[str, int] = await tiers.ranks_by_code()
    to_rank = ranks.get(to_tier)
    if to_rank is None or to_rank <= min(ranks.values()):
        return None
    if from_tier is not None and to_rank <= ranks.get(from_tier, -1):
        return None
    return await _issue(m.Trigger.TIER_UPGRADE, member_id, f"tier-upgrade:{history_id}")


async def on_points_expiring(member_id: int, expires_on: str) -> str | None:
    return await _issue(m.Trigger.POINTS_EXPIRY, member_id, f"points-expiry:{expires_on}")


async def first_order_and_win_back(
    rt: Runtime, progress: Progress = lambda _m: None
) -> tuple[int, int]:
    """Daily: nudge members registered N days ago without a purchase, and win back
    those whose last purchase was WIN_BACK_DAYS ago (once per lapse)."""
    s = rt.settings
    now = clock.now()
    nudged = won = 0
    if await _template(m.Trigger.FIRST_ORDER):
        ids = await members.active_created_between(
            now - timedelta(days=s.coupon_first_order_days + 30),
            now - timedelta(days=s.coupon_first_order_days),
            orders.buyers(),
        )
        for member_id in ids:
            nudged += await _issue(m.Trigger.FIRST_ORDER, member_id, "first-order") is not None
        progress(f"first-order nudge: {nudged} coupons for {len(ids)} members")
    if await _template(m.Trigger.WIN_BACK):
        cut = now - timedelta(days=s.coupon_win_back_days)
        lapsed = await orders.last_paid_between(cut - timedelta(days=30), cut)
        for member_id, last in lapsed:
            day = clock.business_date(last if isinstance(last, datetime) else cut)
            won += await _issue(m.Trigger.WIN_BACK, member_id, f"winback:{day}") is not None
        progress(f"win-back: {won} coupons for {len(lapsed)} lapsed members")
    return nudged, won


async def rebate_coupon(member_id: int, year: int, value_fen: int) -> str | None:
    """The year-end rebate coupon of ``year``, worth ``value_fen``: its code, or None when
    none can be issued (no active template, already issued, member not active). The
    points are converted by ``domain.points.jobs.year_end_rebate``, in the same
    transaction, which gives them back when this answers None."""
    return await _issue(m.Trigger.YEAR_END_REBATE, member_id, f"rebate:{year}", value_fen)


async def has_rebate_template() -> bool:
    return await _template(m.Trigger.YEAR_END_REBATE) is not None


async def expire_due(progress: Progress = lambda _m: None) -> int:
    """Mark every coupon past its date EXPIRED: one set-based statement."""
    n = await store.expire_coupons(clock.now())
    progress(f"expired {n} coupons")
    return n


async def remind_expiring(rt: Runtime, progress: Progress = lambda _m: None) -> int:
    """Remind members of coupons expiring within COUPON_EXPIRY_NOTICE_DAYS, once per
    coupon, through the marketing rules (consent, weekly cap, quiet hours)."""
    now = clock.now()
    due = await store.to_remind(now, now + timedelta(days=rt.settings.coupon_expiry_notice_days))
    sent = 0
    for c in due:
        if not await store.mark_reminded(c.id, now):
            continue  # another run took it
        await send_marketing(
            rt,
            member_id=c.member_id,
            channel=Channel.SMS,
            template="coupon_expiring",
            variables={"name": c.template.name, "date": clock.business_date(c.valid_until)},
            dedupe_key=f"coupon-expiring:{c.id}:SMS",
        )
        sent += 1
    progress(f"coupon expiry reminders: {sent}")
    return sent
