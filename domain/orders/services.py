"""Posting orders and refunds: idempotent, exact, one transaction each.

The same (partner, external id) with the same content is answered with the original
result, forever; with other content it is an IdempotencyConflict and nothing changes.
Concurrent duplicates meet at the unique index: the loser's savepoint rolls back and
it answers from the winner's row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain import clock
from domain.auth.model import Principal
from domain.catalog.tables import Product
from domain.errors import IdempotencyConflict, InvalidInput, NotFound
from domain.events import outbox
from domain.members.lookup import resolve
from domain.members.model import NEW_TAG
from domain.members.tables import Member, MemberTag
from domain.orders import model
from domain.orders.tables import Order, OrderLine, Refund
from domain.org.tables import Store
from domain.points import ledger, rules
from domain.points.model import (
    Kind,
    Line,
    ShortfallPolicy,
    business_day,
    compute_earn,
    lot_expiry,
)
from domain.points.model import reversal_due as due_points
from domain.runtime import Runtime
from domain.tiers.tables import Tier

TOPIC_ORDER_CREATED = "order.created"
TOPIC_ORDER_REFUNDED = "order.refunded"


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
        member_id=o.member_id,  # type: ignore[attr-defined]
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
    model.check_order(o, clock.now(), s.points_value_fen)
    o = replace(o, paid_at=clock.utc(o.paid_at))
    digest = model.order_digest(o)
    partner_id = viewer.id
    existing = await Order.get_or_none(partner_id=partner_id, external_id=o.external_id)
    if existing is not None:  # a retry, however late: answer without resolving anything
        return _replay(existing, digest)
    store = await Store.get_or_none(code=o.store_code)
    if store is None:
        raise NotFound(f"No store {o.store_code!r}.", field="storeCode")
    member = await resolve(rt, None, o.member) if o.member else None
    if o.points_to_redeem and member is None:
        raise InvalidInput("Paying with points needs a member.", field="pointsToRedeem")
    async with in_transaction():
        try:
            async with in_transaction():  # savepoint: a concurrent duplicate fails only this
                order = await Order.create(
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
            winner = await Order.get(partner_id=partner_id, external_id=o.external_id)
            return _replay(winner, digest)
        products = {p.sku: p for p in await Product.filter(sku__in=[ln.sku for ln in o.lines])}
        await OrderLine.bulk_create(
            [
                OrderLine(
                    order_id=order.id,
                    product_id=products[ln.sku].id if ln.sku in products else None,
                    sku=ln.sku,
                    quantity=ln.quantity,
                    unit_price_fen=ln.unit_price_fen,
                    discount_fen=ln.discount_fen,
                )
                for ln in o.lines
            ]
        )
        if member is not None:
            await _points_for_order(rt, viewer, order, member, o, products)
            await MemberTag.filter(member_id=member.id, tag=NEW_TAG).delete()
        await outbox.record(
            TOPIC_ORDER_CREATED,
            {"order_id": order.id, "member_id": order.member_id},  # type: ignore[attr-defined]
        )
    return _result(order, replayed=False)


async def _points_for_order(
    rt: Runtime,
    viewer: Principal,
    order: Order,
    member: Member,
    o: model.OrderIn,
    products: dict[str, Product],
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
    tier = await Tier.get_or_none(id=member.tier_id) if member.tier_id else None  # type: ignore[attr-defined]
    earned = compute_earn(
        order_ref=o.external_id,
        lines=[
            Line(
                sku=ln.sku,
                category_path=products[ln.sku].category_path if ln.sku in products else "",
                quantity=ln.quantity,
                unit_price_fen=ln.unit_price_fen,
                discount_fen=ln.discount_fen,
                excluded_product=ln.sku in products and products[ln.sku].excluded_from_points,
            )
            for ln in o.lines
        ],
        paid_fen=o.total_paid_fen,
        day=day,
        rules=await rules.current(),
        tier_name=tier.code if tier else "",
        tier_pct=tier.points_multiplier_pct if tier else 100,
        campaigns=await rules.campaigns_on(day),
        earned_today=await _earned_on(member.id, day),
    )
    if earned.points > 0:
        await ledger.credit(
            acct,
            Kind.EARN,
            earned.points,
            earned.reason,
            available_at=o.paid_at + timedelta(days=s.points_pending_days),
            expires_at=lot_expiry(o.paid_at, s.points_expiry_extra_years),
            order_id=order.id,
            breakdown=earned.breakdown,
            actor=viewer.subject,
        )
    order.points_earned = earned.points
    await order.save(update_fields=["points_earned", "points_redeemed"])


async def _earned_on(member_id: int, day) -> int:
    """Points this member's orders of that business day already earned (daily cap)."""
    start = clock.day_start(day)
    rows = await Order.filter(
        member_id=member_id, paid_at__gte=start, paid_at__lt=start + timedelta(days=1)
    ).values_list("points_earned", flat=True)
    return sum(rows)


# --- refunds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundResult:
    refund_id: int
    external_id: str
    order_external_id: str
    amount_fen: int
    points_reversed: int
    points_returned: int
    order_status: str
    replayed: bool


def _refund_result(r: Refund, order: Order, replayed: bool) -> RefundResult:
    return RefundResult(
        refund_id=r.id,
        external_id=r.external_id,
        order_external_id=order.external_id,
        amount_fen=r.amount_fen,
        points_reversed=r.points_reversed,
        points_returned=r.points_returned,
        order_status=order.status,
        replayed=replayed,
    )


async def refund(rt: Runtime, viewer: Principal, r: model.RefundIn) -> RefundResult:
    """Refund by lines or by amount; reverses the order's points in proportion, never
    twice; a full refund also gives back points the member paid with."""
    model.check_refund(r)
    digest = model.refund_digest(r)
    async with in_transaction():
        order = await Order.select_for_update().get_or_none(
            partner_id=viewer.id, external_id=r.order_external_id
        )
        if order is None:
            raise NotFound("No such order of yours.", field="orderExternalId")
        seen = await Refund.get_or_none(partner_id=viewer.id, external_id=r.refund_external_id)
        if seen is not None:
            if seen.request_hash != digest:
                raise IdempotencyConflict(field="refundExternalId")
            return _refund_result(seen, order, replayed=True)
        amount, line_updates = await _refund_amount(order, r)
        try:
            async with in_transaction():
                row = await Refund.create(
                    order_id=order.id,
                    partner_id=viewer.id,
                    external_id=r.refund_external_id,
                    amount_fen=amount,
                    lines=[{"sku": ln.sku, "quantity": ln.quantity} for ln in r.lines],
                    request_hash=digest,
                    created_at=clock.now(),
                )
        except IntegrityError:  # the same refund id used for another order of yours
            raise IdempotencyConflict(field="refundExternalId") from None
        for line_id, qty in line_updates.items():
            line = await OrderLine.get(id=line_id)
            line.refunded_quantity += qty
            await line.save(update_fields=["refunded_quantity"])
        order.refunded_fen += amount
        full = order.refunded_fen >= order.total_paid_fen
        order.status = "REFUNDED" if full else "PARTIALLY_REFUNDED"
        if order.member_id is not None:  # type: ignore[attr-defined]
            await _reverse_points(rt, viewer, order, row, full)
        await order.save(update_fields=["refunded_fen", "status", "points_reversed"])
        await row.save(update_fields=["points_reversed", "points_returned"])
        await outbox.record(
            TOPIC_ORDER_REFUNDED,
            {"order_id": order.id, "refund_id": row.id, "member_id": order.member_id},  # type: ignore[attr-defined]
        )
    return _refund_result(row, order, replayed=False)


async def _refund_amount(order: Order, r: model.RefundIn) -> tuple[int, dict[int, int]]:
    lines = await OrderLine.filter(order_id=order.id).order_by("id")
    total_net = sum(ln.quantity * ln.unit_price_fen - ln.discount_fen for ln in lines)
    left = order.total_paid_fen - order.refunded_fen
    if r.amount_fen is not None:
        if r.amount_fen > left:
            raise InvalidInput(
                f"Only {left} fen of this order is left to refund.", field="amountFen"
            )
        return r.amount_fen, {}
    updates: dict[int, int] = {}
    triples = []
    for want in r.lines:
        match = next((ln for ln in lines if ln.sku == want.sku and ln.id not in updates), None)
        if match is None:
            raise InvalidInput(f"SKU {want.sku} is not on this order.", field="lines")
        if want.quantity > match.quantity - match.refunded_quantity:
            raise InvalidInput(f"SKU {want.sku}: more than was bought.", field="lines")
        updates[match.id] = want.quantity
        net = match.quantity * match.unit_price_fen - match.discount_fen
        triples.append((net, match.quantity, want.quantity))
    everything = all(ln.refunded_quantity + updates.get(ln.id, 0) == ln.quantity for ln in lines)
    amount = left if everything else model.refund_value(triples, total_net, order.total_paid_fen)
    return min(amount, left), updates


async def _reverse_points(
    rt: Runtime, viewer: Principal, order: Order, row: Refund, full: bool
) -> None:
    s = rt.settings
    acct = await ledger.lock(order.member_id)  # type: ignore[attr-defined]
    due = due_points(
        order.points_earned, order.total_paid_fen, order.refunded_fen, order.points_reversed
    )
    if due:
        await ledger.reverse_for_order(
            acct,
            order.id,
            due,
            f"订单 {order.external_id} 退款 ¥{row.amount_fen / 100:.2f}，扣回积分",
            ShortfallPolicy(s.refund_shortfall_policy),
            actor=viewer.subject,
        )
        order.points_reversed += due
        row.points_reversed = due
    if full and order.points_redeemed:
        already = await Refund.filter(order_id=order.id, points_returned__gt=0).exists()
        if not already:
            now = clock.now()
            await ledger.credit(
                acct,
                Kind.REVERSE,
                order.points_redeemed,
                f"订单 {order.external_id} 全额退款，退还抵现积分",
                available_at=now,
                expires_at=lot_expiry(now, s.points_expiry_extra_years),
                order_id=order.id,
                actor=viewer.subject,
            )
            row.points_returned = order.points_redeemed
