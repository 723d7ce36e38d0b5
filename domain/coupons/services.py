"""Coupon use cases: templates, issuing and claiming, validating, redeeming, voiding.

Concurrency: a member's coupons are issued under the member's row lock (per-member
limits hold); template stock and budget move by conditional updates (never oversold);
a coupon is redeemed under its row lock *and* a conditional ACTIVE -> USED update, so
of any number of concurrent redemptions exactly one wins, and a retry for the same
order answers with the first result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from domain import clock
from domain.audit import services as audit
from domain.auth.model import Principal, PrincipalKind
from domain.catalog.tables import Product
from domain.coupons import model as m
from domain.coupons import transfer  # noqa: F401 - registers the merge step
from domain.coupons.tables import Coupon, CouponRedemption, CouponTemplate
from domain.errors import (
    CouponAlreadyRedeemed,
    CouponNotApplicable,
    CouponUnavailable,
    InvalidInput,
    NotFound,
)
from domain.members.model import Status
from domain.members.scope import get_visible
from domain.members.tables import Member
from domain.runtime import Runtime
from domain.tiers.tables import Tier

# --- templates ------------------------------------------------------------------------------


def terms_of(t: CouponTemplate, value_fen: int | None = None) -> m.Terms:
    """A template's terms; ``value_fen`` (a birthday or rebate coupon) replaces its value."""
    ladder = tuple((int(a), int(b)) for a, b in t.ladder) or (
        ((t.threshold_fen, t.value_fen),) if t.value_fen else ()
    )
    if value_fen is not None and t.kind == m.Kind.AMOUNT_OFF.value:
        ladder = ((ladder[0][0] if ladder else t.threshold_fen, value_fen),)
    return m.Terms(
        kind=m.Kind(t.kind),
        ladder=ladder,
        threshold_fen=t.threshold_fen,
        percent_off=t.percent_off,
        cap_fen=t.cap_fen,
        gift_sku=t.gift_sku,
        weekdays=tuple(t.weekdays),
        hours=(t.hour_from, t.hour_to) if t.hour_from is not None else None,
        tiers=tuple(t.tiers),
        stores=tuple(t.stores),
        channels=tuple(t.channels),
        include_categories=tuple(t.include_categories),
        exclude_categories=tuple(t.exclude_categories),
        include_skus=tuple(t.include_skus),
        exclude_skus=tuple(t.exclude_skus),
        discounted_items_count=t.discounted_items_count,
        stacking_group=t.stacking_group,
        exclusive=t.exclusive,
    )


def description(t: CouponTemplate, c: Coupon | None = None) -> str:
    terms = terms_of(t, c.value_fen if c else None)
    return m.describe(terms, c.valid_until if c else t.valid_until, t.validity_days)


@dataclass(frozen=True)
class TemplateIn:
    code: str
    name: str
    kind: m.Kind
    values: dict  # the remaining CouponTemplate columns, already named as stored


async def create_template(viewer: Principal, t: TemplateIn) -> CouponTemplate:
    """A new template (marketing staff). Audited; the code is the template's key."""
    code = t.code.strip().upper()
    if not code or len(code) > 32:
        raise InvalidInput("A template code is 1-32 characters.", field="code")
    if not t.name.strip():
        raise InvalidInput("Name the template.", field="name")
    v = dict(t.values)
    if v.get("limit_period"):
        v["limit_period"] = m.Period(v["limit_period"]).value
    if v.get("period_limit") is not None and not v.get("limit_period"):
        raise InvalidInput("A period limit needs its period.", field="limitPeriod")
    if v.get("trigger"):
        v["trigger"] = m.Trigger(v["trigger"]).value
    vf, vu = v.get("valid_from"), v.get("valid_until")
    if vu is not None and vf is not None and vu <= vf:
        raise InvalidInput("validUntil must be after validFrom.", field="validUntil")
    if vu is None and not v.get("validity_days"):
        raise InvalidInput("Give fixed dates or validityDays.", field="validityDays")
    for k in ("valid_from", "valid_until"):
        if v.get(k) is not None:
            v[k] = clock.utc(v[k])
    row = CouponTemplate(code=code, name=t.name.strip(), kind=t.kind.value, **v)
    m.check_terms(terms_of(row))
    row.stock_left = row.total_stock
    row.budget_left_fen = row.budget_fen
    row.created_at = clock.now()
    try:
        async with in_transaction():
            await row.save()
            await audit.record(
                viewer, "coupon.template.create", "coupon_template", row.id, code=code
            )
    except IntegrityError:
        raise InvalidInput(f"Template {code} exists already.", field="code") from None
    return row


async def templates() -> list[CouponTemplate]:
    return await CouponTemplate.all().order_by("id")


async def template_by_code(code: str) -> CouponTemplate:
    t = await CouponTemplate.get_or_none(code=code.strip().upper())
    if t is None:
        raise NotFound(f"No coupon template {code!r}.", field="templateCode")
    return t


# --- issuing --------------------------------------------------------------------------------


async def tier_code(member: Member) -> str:
    if member.tier_id is None:  # type: ignore[attr-defined]
        return ""
    codes = await Tier.filter(id=member.tier_id).values_list("code", flat=True)  # type: ignore[attr-defined]
    return str(codes[0]) if codes else ""


async def issue_locked(
    t: CouponTemplate,
    member: Member,
    *,
    source: str,
    source_ref: str | None = None,
    value_fen: int | None = None,
    now: datetime | None = None,
) -> Coupon | str:
    """Issue one coupon, or say why not. The caller holds ``member``'s row lock in an
    open transaction, which makes the per-member limit exact."""
    now = now or clock.now()
    if not t.active:
        return "TEMPLATE_INACTIVE"
    if t.valid_until is not None and now >= t.valid_until:
        return "ENDED"
    if member.status != Status.ACTIVE.value:
        return "MEMBER_NOT_ACTIVE"
    if t.tiers and await tier_code(member) not in t.tiers:
        return "NOT_ELIGIBLE"
    held = Coupon.filter(template_id=t.id, member_id=member.id)
    if source_ref is not None and await held.filter(source_ref=source_ref).exists():
        return "ALREADY_ISSUED"
    if t.per_member_limit is not None and await held.count() >= t.per_member_limit:
        return "LIMIT_REACHED"
    taken = CouponTemplate.filter(id=t.id)
    if t.total_stock is not None:
        taken = taken.filter(stock_left__gte=1)
        won = await taken.update(stock_left=F("stock_left") - 1, issued_count=F("issued_count") + 1)
    else:
        won = await taken.update(issued_count=F("issued_count") + 1)
    if not won:
        return "OUT_OF_STOCK"
    start, end = m.validity(now, t.valid_from, t.valid_until, t.validity_days)
    return await Coupon.create(
        code=m.new_code(),
        template_id=t.id,
        member_id=member.id,
        value_fen=value_fen,
        source=source,
        source_ref=source_ref,
        issued_at=now,
        valid_from=start,
        valid_until=end,
    )


async def issue_to(
    t: CouponTemplate,
    member_id: int,
    *,
    source: str,
    source_ref: str | None = None,
    value_fen: int | None = None,
) -> Coupon | str:
    """``issue_locked`` in its own transaction (triggers, staff issues)."""
    async with in_transaction():
        member = await Member.select_for_update().get_or_none(id=member_id)
        if member is None:
            return "NOT_FOUND"
        return await issue_locked(
            t, member, source=source, source_ref=source_ref, value_fen=value_fen
        )


@dataclass(frozen=True)
class IssueReport:
    issued: list[tuple[int, str]]  # (member id, coupon code)
    skipped: list[tuple[int, str]]  # (member id, reason)


async def issue(
    rt: Runtime, viewer: Principal, template_code: str, member_ids: list[int], batch_id: str
) -> IssueReport:
    """Staff issue to a list of members: who got one, who did not and why. ``batchId``
    makes a rerun of the same list issue nothing twice."""
    batch_id = batch_id.strip()
    if not batch_id or len(batch_id) > 48:
        raise InvalidInput("batchId is 1-48 characters.", field="batchId")
    if not member_ids or len(member_ids) > 10_000:
        raise InvalidInput("Issue to 1-10,000 members at a time.", field="memberIds")
    t = await template_by_code(template_code)
    report = IssueReport([], [])
    for member_id in dict.fromkeys(member_ids):
        try:
            await get_visible(rt.settings, viewer, member_id)
        except NotFound:
            report.skipped.append((member_id, "NOT_FOUND"))
            continue
        got = await issue_to(t, member_id, source="STAFF", source_ref=f"batch:{batch_id}")
        if isinstance(got, str):
            report.skipped.append((member_id, got))
        else:
            report.issued.append((member_id, got.code))
    await audit.record(
        viewer,
        "coupon.issue",
        "coupon_template",
        t.id,
        batch=batch_id,
        issued=len(report.issued),
        skipped=len(report.skipped),
    )
    return report


CLAIM_MESSAGES = {
    "TEMPLATE_INACTIVE": "This coupon is no longer offered.",
    "ENDED": "This offer has ended.",
    "MEMBER_NOT_ACTIVE": "Your membership is not active.",
    "NOT_ELIGIBLE": "This coupon is for other tiers.",
    "LIMIT_REACHED": "You already have as many of these as allowed.",
    "OUT_OF_STOCK": "All of these coupons have been claimed.",
    "NOT_FOUND": "No such member.",
}


async def claim(viewer: Principal, template_code: str) -> Coupon:
    """A member claims a claimable coupon, within stock and their limit."""
    t = await template_by_code(template_code)
    if not t.claimable:
        raise NotFound("This coupon cannot be claimed.", field="templateCode")
    got = await issue_to(t, viewer.id or 0, source="CLAIM")
    if isinstance(got, str):
        raise CouponUnavailable(CLAIM_MESSAGES.get(got), reason=got)
    return got


async def claimable(member_id: int) -> list[CouponTemplate]:
    """Templates this member could claim now (offered, in stock, tier, under the limit)."""
    member = await Member.get(id=member_id)
    now = clock.now()
    tier = await tier_code(member)
    held: dict[int, int] = {}
    for tid in await Coupon.filter(member_id=member_id).values_list("template_id", flat=True):
        held[tid] = held.get(tid, 0) + 1  # type: ignore[index]
    rows = await CouponTemplate.filter(
        Q(claimable=True, active=True)
        & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        & (Q(stock_left__isnull=True) | Q(stock_left__gt=0))
    ).order_by("id")
    return [
        t
        for t in rows
        if (not t.tiers or tier in t.tiers)
        and (t.per_member_limit is None or held.get(t.id, 0) < t.per_member_limit)
    ]


# --- validating and redeeming ----------------------------------------------------------------


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
    paths = dict(await Product.filter(sku__in=skus).values_list("sku", "category_path"))
    return m.Draft(
        store_code=d.store_code,
        channel=d.channel,
        lines=tuple(m.DraftLine(s, paths.get(s, ""), q, p, dc) for s, q, p, dc in d.lines),  # type: ignore[arg-type]
        delivery_fee_fen=d.delivery_fee_fen,
    )


async def _coupon(code: str) -> Coupon:
    c = await Coupon.get_or_none(code=m.normalise_code(code))
    if c is None:
        raise NotFound("No such coupon.", field="code")
    return c


async def _verdict(
    c: Coupon, t: CouponTemplate, d: m.Draft, others: tuple[str, ...], member_id: int | None
) -> m.Verdict:
    member = await Member.get(id=c.member_id)  # type: ignore[attr-defined]
    now = clock.now()
    used = 0
    if t.period_limit is not None:
        used = await CouponRedemption.filter(
            member_id=c.member_id,  # type: ignore[attr-defined]
            coupon__template_id=t.id,
            status="REDEEMED",
            redeemed_at__gte=m.period_start(m.Period(t.limit_period), now),
        ).count()
    other_rows = await Coupon.filter(
        code__in=[m.normalise_code(o) for o in others if m.normalise_code(o) != c.code]
    ).values_list("code", "template__stacking_group", "template__exclusive")
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
        tier_code=await tier_code(member),
        usage=m.Usage(
            used_in_period=used,
            period_limit=t.period_limit,
            budget_left_fen=t.budget_left_fen,
            others=tuple((a, b, bool(x)) for a, b, x in other_rows),
        ),
        mine=member_id is None or member_id == c.member_id,  # type: ignore[attr-defined]
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
    if viewer.kind is PrincipalKind.MEMBER and c.member_id != viewer.id:  # type: ignore[attr-defined]
        raise NotFound("No such coupon.", field="code")
    t = await CouponTemplate.get(id=c.template_id)  # type: ignore[attr-defined]
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
    r = await CouponRedemption.get_or_none(
        coupon_id=c.id, partner_id=partner_id, order_external_id=order_external_id
    )
    if r is None or r.status != "REDEEMED":
        raise CouponAlreadyRedeemed()
    gift = await CouponTemplate.filter(id=c.template_id).values_list("gift_sku", flat=True)  # type: ignore[attr-defined]
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
    c = await Coupon.select_for_update().get(id=coupon_id)
    if c.status == "USED":
        done = await _answer_used(c, partner_id, order_external_id)
        if order_id is not None:
            await CouponRedemption.filter(
                coupon_id=c.id, partner_id=partner_id, order_external_id=order_external_id
            ).update(order_id=order_id)
        return done
    t = await CouponTemplate.get(id=c.template_id)  # type: ignore[attr-defined]
    verdict = await _verdict(c, t, d, others, member_id)
    if not verdict.applicable:
        raise CouponNotApplicable(
            f"Coupon {c.code} does not apply: " + "; ".join(f.message for f in verdict.failures),
            code_=c.code,
            reasons=list(verdict.failures),
        )
    if not await Coupon.filter(id=c.id, status="ACTIVE").update(status="USED"):
        raise CouponAlreadyRedeemed()  # cannot happen under the row lock; never pass silently
    off = verdict.discount_fen
    spend = CouponTemplate.filter(id=t.id)
    if t.budget_fen is not None:
        spend = spend.filter(budget_left_fen__gte=off)
        won = await spend.update(
            budget_left_fen=F("budget_left_fen") - off,
            discount_given_fen=F("discount_given_fen") + off,
        )
        if not won:
            raise CouponNotApplicable(
                "This promotion's budget is spent.",
                code_=c.code,
                reasons=[m.Failure(m.Reason.BUDGET_SPENT, "This promotion's budget is spent.")],
            )
    else:
        await spend.update(discount_given_fen=F("discount_given_fen") + off)
    now = clock.now()
    row, created = await CouponRedemption.get_or_create(
        coupon_id=c.id,
        partner_id=partner_id,
        order_external_id=order_external_id,
        defaults={
            "member_id": c.member_id,  # type: ignore[attr-defined]
            "discount_fen": off,
            "order_id": order_id,
            "redeemed_at": now,
        },
    )
    if not created:  # voided earlier for this order, now redeemed for it again
        row.status, row.discount_fen, row.redeemed_at, row.voided_at = "REDEEMED", off, now, None
        row.order_id = order_id or row.order_id  # type: ignore[attr-defined]
        await row.save()
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
        c = await Coupon.get_or_none(code=m.normalise_code(code))
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
    await CouponRedemption.filter(id=r.id, status="REDEEMED").update(status="VOIDED", voided_at=now)
    back = "ACTIVE" if now < clock.utc(c.valid_until) else "EXPIRED"
    await Coupon.filter(id=c.id, status="USED").update(status=back)
    t = CouponTemplate.filter(id=c.template_id)  # type: ignore[attr-defined]
    if await t.filter(budget_fen__isnull=False).exists():
        await t.update(
            budget_left_fen=F("budget_left_fen") + r.discount_fen,
            discount_given_fen=F("discount_given_fen") - r.discount_fen,
        )
    else:
        await t.update(discount_given_fen=F("discount_given_fen") - r.discount_fen)
    return back


async def void(viewer: Principal, code: str, order_external_id: str) -> Voided:
    """A partner's order was cancelled: its coupon comes back if still valid. Idempotent."""
    ref = _order_ref(order_external_id)
    c0 = await _coupon(code)
    async with in_transaction():
        c = await Coupon.select_for_update().get(id=c0.id)
        r = await CouponRedemption.get_or_none(
            coupon_id=c.id, partner_id=viewer.id, order_external_id=ref
        )
        if r is None:
            raise NotFound("This coupon was not redeemed for that order.", field="orderExternalId")
        if r.status == "VOIDED":
            return Voided(c.code, ref, c.status, replayed=True)
        back = await _void_row(c, r, clock.now())
    return Voided(c.code, ref, back, replayed=False)


async def void_for_order(order_id: int, partner_id: int | None, order_external_id: str) -> int:
    """A fully refunded order: give back its coupons (inside the refund transaction)."""
    rows = await CouponRedemption.filter(
        Q(order_id=order_id) | Q(partner_id=partner_id, order_external_id=order_external_id),
        status="REDEEMED",
    )
    now = clock.now()
    for r in rows:
        c = await Coupon.select_for_update().get(id=r.coupon_id)  # type: ignore[attr-defined]
        await _void_row(c, r, now)
    return len(rows)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CouponRow:
    id: int
    code: str
    status: str  # ACTIVE / USED / EXPIRED, as of now
    name: str
    kind: str
    description: str
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    source: str


def row_of(c: Coupon, t: CouponTemplate, now: datetime) -> CouponRow:
    status = "EXPIRED" if c.status == "ACTIVE" and clock.utc(c.valid_until) <= now else c.status
    return CouponRow(
        id=c.id,
        code=c.code,
        status=status,
        name=t.name,
        kind=t.kind,
        description=description(t, c),
        valid_from=c.valid_from,
        valid_until=c.valid_until,
        issued_at=c.issued_at,
        source=c.source,
    )


async def of_member(
    member_id: int, status: str | None, after_id: int | None, limit: int
) -> tuple[list[CouponRow], bool]:
    """A member's coupons, newest first. ACTIVE means usable now (the expiry job may
    not have run yet, so an ACTIVE row past its date counts as EXPIRED)."""
    now = clock.now()
    q = Coupon.filter(member_id=member_id)
    if status == "ACTIVE":
        q = q.filter(status="ACTIVE", valid_until__gt=now)
    elif status == "EXPIRED":
        q = q.filter(Q(status="EXPIRED") | Q(status="ACTIVE", valid_until__lte=now))
    elif status == "USED":
        q = q.filter(status="USED")
    if after_id is not None:
        q = q.filter(id__lt=after_id)
    rows = await q.order_by("-id").limit(limit + 1).prefetch_related("template")
    return [row_of(c, c.template, now) for c in rows[:limit]], len(rows) > limit


async def member_of(rt: Runtime, viewer: Principal, member_id: int) -> Member:
    return await get_visible(rt.settings, viewer, member_id)


@dataclass(frozen=True)
class TemplateReport:
    issued: int
    redeemed: int
    expired: int
    discount_given_fen: int
    attributed_revenue_fen: int


async def report(t: CouponTemplate) -> TemplateReport:
    """Per template: issued, redeemed, expired, discount given and the revenue of the
    orders its coupons were redeemed on (net of refunds)."""
    now = clock.now()
    coupons = Coupon.filter(template_id=t.id)
    live = CouponRedemption.filter(coupon__template_id=t.id, status="REDEEMED")
    orders = await live.filter(order_id__isnull=False).values_list(
        "order__total_paid_fen", "order__refunded_fen"
    )
    return TemplateReport(
        issued=t.issued_count,
        redeemed=await live.count(),
        expired=await coupons.filter(
            Q(status="EXPIRED") | Q(status="ACTIVE", valid_until__lte=now)
        ).count(),
        discount_given_fen=t.discount_given_fen,
        attributed_revenue_fen=sum(paid - refunded for paid, refunded in orders),
    )
