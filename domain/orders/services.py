"""Posting orders and refunds: idempotent, exact, one transaction each.

The same (partner, external id) with the same content is answered with the original
result, forever; with other content it is an IdempotencyConflict and nothing changes.
Concurrent duplicates meet at the unique index: the loser's savepoint rolls back and
it answers from the winner's row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from domain import clock
from domain.auth.model import Principal
from domain.catalog import store as catalog
from domain.config import Settings
from domain.coupons import model as coupon_model
from domain.coupons import redemption as coupons
from domain.db import IntegrityError, in_transaction
from domain.errors import IdempotencyConflict, InvalidInput, NotFound
from domain.events import outbox
from domain.members import store as member_store
from domain.members.lookup import resolve
from domain.members.model import NEW_TAG, refuse_frozen
from domain.orders import model
from domain.orders import store as orders
from domain.org import store as org_store
from domain.points import ledger, rules
from domain.points.model import (
    Kind,
    Line,
    business_day,
    compute_earn,
    lot_expiry,
)
from domain.runtime import Runtime
from domain.tiers import store as tiers

if TYPE_CHECKING:
    from domain.catalog.tables import Product
    from domain.members.tables import Member
    from domain.orders.tables import Order

TOPIC_ORDER_CREATED = "order.created"
TOPIC_ORDER_REFUNDED = "order.refunded"


def paid_at_window(s: Settings) -> model.PaidAtWindow:
    """The paidAt window of the settings (ORDER_BACKDATE_MAX_DAYS, ORDER_CLOCK_SKEW_S)."""
    return model.PaidAtWindow(
        max_age=timedelta(days=s.order_backdate_max_days),
        clock_skew=timedelta(seconds=s.order_clock_skew_s),
    )


@dataclass(frozen=True)
class OrderResult:
    order_id: int
    external_id: str
    member_id: int | None
    total_paid_fen: int
    points_earned: int
    points_redeemed: int
    status: str
    replayed: bool


def _result(o: Order, replayed: bool) -> OrderResult:
    return OrderResult(
        order_id=o.id,
        external_id=o.external_id,
        member_id=o.member_id,
        total_paid_fen=o.total_paid_fen,
        points_earned=o.points_earned,
        points_redeemed=o.points_redeemed,
        status=o.status,
        replayed=replayed,
    )


def _replay(existing: Order, digest: str) -> OrderResult:
    if existing.request_hash != digest:
        raise IdempotencyConflict(field="externalId")
    return _result(existing, replayed=True)


async def create(rt: Runtime, viewer: Principal, o: model.OrderIn) -> OrderResult:
    s = rt.settings
    if o.paid_at.tzinfo is not None:  # first: a time near year 1 or 9999 cannot be compared
        o = replace(o, paid_at=clock.utc_input(o.paid_at, "paidAt"))
    model.check_order(o, s.points_value_fen)
    digest = model.order_digest(o)
    partner_id = viewer.id
    existing = await orders.by_external_id(partner_id, o.external_id)
    if existing is not None:  # a retry, however late: answer without resolving anything
        return _replay(existing, digest)
    model.check_paid_at(o.paid_at, clock.now(), paid_at_window(s))
    store = await org_store.store_by_code(o.store_code)
    if store is None:
        raise NotFound(f"No store {o.store_code!r}.", field="storeCode")
    member = await resolve(rt, None, o.member) if o.member else None
    if member is not None:  # frozen: no order for it at all (earning, points, coupons)
        refuse_frozen(member.status)
    if o.points_to_redeem and member is None:
        raise InvalidInput("Paying with points needs a member.", field="pointsToRedeem")
    async with in_transaction():
        try:
            async with in_transaction():  # savepoint: a concurrent duplicate fails only this
                order = await orders.add_order(
                    partner_id=partner_id,
                    external_id=o.external_id,
                    channel=o.channel,
                    store_id=store.id,
                    member_id=member.id if member else None,
                    paid_at=o.paid_at,
                    total_paid_fen=o.total_paid_fen,
                    coupon_codes=list(o.coupon_codes),
                    request_hash=digest,
                    created_at=clock.now(),
                )
        except IntegrityError:
            winner = await orders.get_by_external_id(partner_id, o.external_id)
            return _replay(winner, digest)
        products = await catalog.by_sku([ln.sku for ln in o.lines])
        await orders.add_lines(
            order.id,
            [
                {
                    "product_id": products[ln.sku].id if ln.sku in products else None,
                    "sku": ln.sku,
                    "quantity": ln.quantity,
                    "unit_price_fen": ln.unit_price_fen,
                    "discount_fen": ln.discount_fen,
                }
                for ln in o.lines
            ],
        )
        lines = _priced_lines(o, products)
        if o.coupon_codes:
            await _redeem_coupons(order, member, o, lines)
        if member is not None:
            await _points_for_order(rt, viewer, order, member, o, lines)
            await member_store.drop_tag(member.id, NEW_TAG)
        await outbox.record(
            TOPIC_ORDER_CREATED,
            {"order_id": order.id, "member_id": order.member_id},
        )
    return _result(order, replayed=False)


def _priced_lines(o: model.OrderIn, products: dict[str, Product]) -> tuple[Line, ...]:
    """The order's lines with their catalogue category: what coupons and earning read."""
    return tuple(
        Line(
            sku=ln.sku,
            category_path=products[ln.sku].category_path if ln.sku in products else "",
            quantity=ln.quantity,
            unit_price_fen=ln.unit_price_fen,
            discount_fen=ln.discount_fen,
            excluded_product=ln.sku in products and products[ln.sku].excluded_from_points,
        )
        for ln in o.lines
    )


async def _redeem_coupons(
    order: Order, member: Member | None, o: model.OrderIn, lines: tuple[Line, ...]
) -> None:
    """The order's coupons, redeemed in its transaction: a refusal undoes the order."""
    draft = coupon_model.Draft(store_code=o.store_code, channel=o.channel, lines=lines)
    await coupons.redeem_for_order(
        order.partner_id,
        order.id,
        order.external_id,
        member.id if member else None,
        draft,
        o.coupon_codes,
    )


async def _points_for_order(
    rt: Runtime,
    viewer: Principal,
    order: Order,
    member: Member,
    o: model.OrderIn,
    lines: tuple[Line, ...],
) -> None:
    s = rt.settings
    acct = await ledger.lock(member.id)
    if o.points_to_redeem:
        await ledger.debit(
            acct,
            Kind.REDEEM,
            o.points_to_redeem,
            f"订单 {o.external_id} 积分抵现 ¥{o.points_to_redeem * s.points_value_fen / 100:.2f}",
            order_id=order.id,
            actor=viewer.subject,
        )
        order.points_redeemed = o.points_to_redeem
    day = business_day(o.paid_at)
    tier = await tiers.get_or_none(member.tier_id) if member.tier_id else None
    earned = compute_earn(
        order_ref=o.external_id,
        lines=list(lines),
        paid_fen=o.total_paid_fen,
        day=day,
        rules=await rules.current(),
        tier_name=tier.code if tier else "",
        tier_pct=tier.points_multiplier_pct if tier else 100,
        campaigns=await rules.campaigns_on(day),
        earned_today=await _earned_on(member.id, day),
    )
    if earned.points > 0:
        dates = model.earn_dates(
            o.paid_at,
            clock.now(),
            timedelta(days=s.points_pending_days),
            lot_expiry(o.paid_at, s.points_expiry_extra_years),
        )
        await ledger.credit(  # a lot already past expiry is written as EARN + EXPIRE
            acct,
            Kind.EARN,
            earned.points,
            earned.reason,
            available_at=dates.available_at,
            expires_at=dates.expires_at,
            order_id=order.id,
            breakdown=earned.breakdown,
            actor=viewer.subject,
        )
    order.points_earned = earned.points
    await orders.save_points(order)


async def _earned_on(member_id: int, day) -> int:
    """Points this member's orders of that business day already earned (daily cap)."""
    start = clock.day_start(day)
    return sum(await orders.points_earned_between(member_id, start, start + timedelta(days=1)))
