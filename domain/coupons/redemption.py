"""Validating, redeeming and voiding coupons.

A coupon is redeemed under its row lock *and* a conditional ACTIVE -> USED update, so of
any number of concurrent redemptions exactly one wins, and a retry for the same order
answers with the first result; the template budget moves by a conditional update."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from domain import clock
from domain.auth.model import Principal, PrincipalKind
from domain.catalog import store as catalog
from domain.coupons import model as m
from domain.coupons import (
    store,
    transfer,  # noqa: F401 - registers the merge step
)
from domain.coupons.issuing import usable_tier_code_of
from domain.coupons.templates import terms_of
from domain.db import in_transaction
from domain.errors import (
    CouponAlreadyRedeemed,
    CouponNotApplicable,
    InvalidInput,
    NotFound,
)

if TYPE_CHECKING:
    from domain.coupons.tables import Coupon, CouponRedemption, CouponTemplate


@dataclass(frozen=True)
class DraftIn:
    store_code: str
    channel: str
    lines: tuple[tuple[str, int, int, int], ...]  # (sku, quantity, unit price, discount)
    delivery_fee_fen: int = 0
    other_codes: tuple[str, ...] = ()


async def draft_of(d: DraftIn) -> m.Draft:
    for sku, qty, price, discount in d.lines:
        if qty <= 0 or price < 0 or discount < 0 or discount > qty * price:
            raise InvalidInput(f"Line {sku}: positive quantity and prices.", field="lines")
    if d.delivery_fee_fen < 0:
        raise InvalidInput("deliveryFeeFen cannot be negative.", field="deliveryFeeFen")
    skus = [ln[0] for ln in d.lines]
    paths = await catalog.category_paths(skus)
    return m.Draft(
        store_code=d.store_code,
        channel=d.channel,
        lines=tuple(m.Line(s, paths.get(s, ""), q, p, dc) for s, q, p, dc in d.lines),
        delivery_fee_fen=d.delivery_fee_fen,
    )


async def _coupon(code: str) -> Coupon:
    c = await store.coupon_by_code(m.normalise_code(code))
    if c is None:
        raise NotFound("No such coupon.", field="code")
    return c


async def _verdict(
    c: Coupon, t: CouponTemplate, d: m.Draft, others: tuple[str, ...], member_id: int | None
) -> m.Verdict:
    now = clock.now()
    used = 0
    if t.period_limit is not None:
        since = m.period_start(m.Period(t.limit_period), now)
        used = await store.redeemed_since(c.member_id, t.id, since)
    other_codes = [m.normalise_code(o) for o in others if m.normalise_code(o) != c.code]
    other_rows = await store.stacking_of(other_codes) if other_codes else []
    held = m.Held(
        c.code,
        terms_of(t, c.value_fen),
        c.status,
        clock.utc(c.valid_from),
        clock.utc(c.valid_until),
    )
    return m.evaluate(
        held,
        d,
        at=now,
        tier_code=await usable_tier_code_of(c.member_id),
        usage=m.Usage(
            used_in_period=used,
            period_limit=t.period_limit,
            budget_left_fen=t.budget_left_fen,
            others=tuple((a, b, bool(x)) for a, b, x in other_rows),
        ),
        mine=member_id is None or member_id == c.member_id,
    )


@dataclass(frozen=True)
class Checked:
    coupon: Coupon
    template: CouponTemplate
    verdict: m.Verdict


async def validate(viewer: Principal, code: str, draft: DraftIn) -> Checked:
    """Would this coupon apply to the draft now? Every failing reason, or the discount.
    A member may only look at their own coupons."""
    c = await _coupon(code)
    if viewer.kind is PrincipalKind.MEMBER and c.member_id != viewer.id:
        raise NotFound("No such coupon.", field="code")
    t = await store.template(c.template_id)
    return Checked(c, t, await _verdict(c, t, await draft_of(draft), draft.other_codes, None))


@dataclass(frozen=True)
class Redeemed:
    code: str
    order_external_id: str
    discount_fen: int
    gift_sku: str
    redeemed_at: datetime
    replayed: bool


def _redeemed(r: CouponRedemption, code: str, gift_sku: str, replayed: bool) -> Redeemed:
    return Redeemed(code, r.order_external_id, r.discount_fen, gift_sku, r.redeemed_at, replayed)


async def _answer_used(c: Coupon, partner_id: int | None, order_external_id: str) -> Redeemed:
    """A used coupon: the same order's retry gets its first answer, anyone else a no."""
    r = await store.redemption_for(c.id, partner_id, order_external_id)
    if r is None or r.status != "REDEEMED":
        raise CouponAlreadyRedeemed()
    gift = await store.gift_sku_of(c.template_id)
    return _redeemed(r, c.code, gift[0] if gift else "", replayed=True)


async def _redeem_locked(
    coupon_id: int,
    partner_id: int | None,
    order_external_id: str,
    d: m.Draft,
    others: tuple[str, ...],
    *,
    member_id: int | None = None,
    order_id: int | None = None,
) -> Redeemed:
    """Inside an open transaction: lock the coupon, check, mark it used, record."""
    c = await store.lock_coupon(coupon_id)
    if c.status == "USED":
        done = await _answer_used(c, partner_id, order_external_id)
        if order_id is not None:
            await store.link_order(c.id, partner_id, order_external_id, order_id)
        return done
    t = await store.template(c.template_id)
    verdict = await _verdict(c, t, d, others, member_id)
    if not verdict.applicable:
        raise CouponNotApplicable(
            f"Coupon {c.code} does not apply: " + "; ".join(f.message for f in verdict.failures),
            code_=c.code,
            reasons=list(verdict.failures),
        )
    if not await store.use(c.id):
        raise CouponAlreadyRedeemed()  # cannot happen under the row lock; never pass silently
    off = verdict.discount_fen
    if not await store.spend(t.id, off, budgeted=t.budget_fen is not None):
        raise CouponNotApplicable(
            "This promotion's budget is spent.",
            code_=c.code,
            reasons=[m.Failure(m.Reason.BUDGET_SPENT, "This promotion's budget is spent.")],
        )
    now = clock.now()
    key = {"coupon_id": c.id, "partner_id": partner_id, "order_external_id": order_external_id}
    # the coupon row lock serialises this
    row = await store.redemption_for(c.id, partner_id, order_external_id)
    if row is None:
        row = await store.add_redemption(
            **key,
            member_id=c.member_id,
            discount_fen=off,
            order_id=order_id,
            redeemed_at=now,
        )
    else:  # voided earlier for this order, now redeemed for it again
        row.status, row.discount_fen, row.redeemed_at, row.voided_at = "REDEEMED", off, now, None
        row.order_id = order_id or row.order_id
        await store.save_redemption(row)
    return _redeemed(row, c.code, verdict.gift_sku, replayed=False)


def _order_ref(order_external_id: str) -> str:
    ref = (order_external_id or "").strip()
    if not ref or len(ref) > 64:
        raise InvalidInput("orderExternalId is 1-64 characters.", field="orderExternalId")
    return ref


async def redeem(viewer: Principal, code: str, order_external_id: str, draft: DraftIn) -> Redeemed:
    """A partner redeems a coupon against one of its orders (before or without
    ``orderCreate``). Single use; the same order's retry gets the same answer."""
    ref = _order_ref(order_external_id)
    c = await _coupon(code)
    if c.status == "USED":  # the common case under a stampede: answer without a lock
        return await _answer_used(c, viewer.id, ref)
    d = await draft_of(draft)
    async with in_transaction():
        return await _redeem_locked(c.id, viewer.id, ref, d, draft.other_codes)


async def redeem_for_order(
    partner_id: int | None,
    order_id: int,
    order_external_id: str,
    member_id: int | None,
    d: m.Draft,
    codes: tuple[str, ...],
) -> int:
    """``orderCreate.couponCodes``, inside the order's transaction: each coupon is
    redeemed for the order (or its earlier ``couponRedeem`` for it is linked).
    Returns the total discount; any refusal rolls the whole order back."""
    if len(set(map(m.normalise_code, codes))) != len(codes):
        raise InvalidInput("A coupon code is listed twice.", field="couponCodes")
    total = 0
    for code in codes:
        c = await store.coupon_by_code(m.normalise_code(code))
        if c is None:
            raise NotFound(f"No coupon {code}.", field="couponCodes")
        done = await _redeem_locked(
            c.id, partner_id, order_external_id, d, codes, member_id=member_id, order_id=order_id
        )
        total += done.discount_fen
    return total


@dataclass(frozen=True)
class Voided:
    code: str
    order_external_id: str
    coupon_status: str  # ACTIVE again, or EXPIRED
    replayed: bool


async def _void_row(c: Coupon, r: CouponRedemption, now: datetime) -> str:
    """Inside a transaction, ``c`` locked: void ``r`` and give the coupon back if valid."""
    await store.void_redemption(r.id, now)
    back = "ACTIVE" if now < clock.utc(c.valid_until) else "EXPIRED"
    await store.unuse(c.id, back)
    await store.give_back(c.template_id, r.discount_fen)
    return back


async def void(viewer: Principal, code: str, order_external_id: str) -> Voided:
    """A partner's order was cancelled: its coupon comes back if still valid. Idempotent."""
    ref = _order_ref(order_external_id)
    c0 = await _coupon(code)
    async with in_transaction():
        c = await store.lock_coupon(c0.id)
        r = await store.redemption_for(c.id, viewer.id, ref)
        if r is None:
            raise NotFound("This coupon was not redeemed for that order.", field="orderExternalId")
        if r.status == "VOIDED":
            return Voided(c.code, ref, c.status, replayed=True)
        back = await _void_row(c, r, clock.now())
    return Voided(c.code, ref, back, replayed=False)


async def void_for_order(order_id: int, partner_id: int | None, order_external_id: str) -> int:
    """A fully refunded order: give back its coupons (inside the refund transaction)."""
    rows = await store.redeemed_for_order(order_id, partner_id, order_external_id)
    now = clock.now()
    for r in rows:
        c = await store.lock_coupon(r.coupon_id)
        await _void_row(c, r, now)
    return len(rows)
