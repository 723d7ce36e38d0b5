"""Refunds of partner orders: idempotent by the partner's refund id, in proportion,
never reversing more points than the order earned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain import clock
from domain.auth.model import Principal
from domain.coupons.redemption import void_for_order
from domain.db import IntegrityError, in_transaction
from domain.errors import IdempotencyConflict, InvalidInput, NotFound
from domain.events import outbox
from domain.orders import model, store
from domain.points import ledger
from domain.points.model import Kind, ShortfallPolicy, lot_expiry
from domain.points.model import reversal_due as due_points
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.orders.tables import Order, Refund

TOPIC_ORDER_REFUNDED = "order.refunded"


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
        order = await store.lock_partner_order(viewer.id, r.order_external_id)
        if order is None:
            raise NotFound("No such order of yours.", field="orderExternalId")
        seen = await store.refund_by_external_id(viewer.id, r.refund_external_id)
        if seen is not None:
            if seen.request_hash != digest:
                raise IdempotencyConflict(field="refundExternalId")
            return _refund_result(seen, order, replayed=True)
        amount, line_updates = await _refund_amount(order, r)
        try:
            async with in_transaction():
                row = await store.add_refund(
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
            await store.add_refunded_quantity(line_id, qty)
        order.refunded_fen += amount
        full = order.refunded_fen >= order.total_paid_fen
        order.status = "REFUNDED" if full else "PARTIALLY_REFUNDED"
        if order.member_id is not None:
            await _reverse_points(rt, viewer, order, row, full)
        if full:  # the coupons come back if still valid
            await void_for_order(order.id, order.partner_id, order.external_id)
        await store.save_refunded(order)
        await store.save_refund_points(row)
        await outbox.record(
            TOPIC_ORDER_REFUNDED,
            {"order_id": order.id, "refund_id": row.id, "member_id": order.member_id},
        )
    return _refund_result(row, order, replayed=False)


async def _refund_amount(order: Order, r: model.RefundIn) -> tuple[int, dict[int, int]]:
    lines = await store.lines_of(order.id)
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
    assert order.member_id is not None  # the caller reverses points of members' orders only
    acct = await ledger.lock(order.member_id)
    # points written already expired (a backdated order) were never the member's to lose
    dead = await ledger.expired_on_arrival(order.id) if order.points_earned else 0
    live = order.points_earned - dead
    due = due_points(live, order.total_paid_fen, order.refunded_fen, order.points_reversed)
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
        already = await store.points_returned_before(order.id)
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
