"""Coupon templates: their terms, the human description, creation, the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from domain import clock
from domain.audit import services as audit
from domain.auth.model import Principal
from domain.coupons import model as m
from domain.coupons import store
from domain.coupons.model import DESCRIBED
from domain.db import IntegrityError, in_transaction
from domain.errors import (
    InvalidInput,
    NotFound,
)

if TYPE_CHECKING:
    from domain.coupons.tables import Coupon, CouponTemplate


def ladder_of(
    kind: str, ladder: list, threshold_fen: int, value_fen: int, override: int | None = None
) -> tuple[tuple[int, int], ...]:
    """The amount-off steps: the ladder, or the single threshold/value step; a coupon's
    own value (a birthday or rebate coupon) replaces the value."""
    steps = tuple((int(a), int(b)) for a, b in ladder) or (
        ((threshold_fen, value_fen),) if value_fen else ()
    )
    if override is not None and kind == m.Kind.AMOUNT_OFF.value:
        steps = ((steps[0][0] if steps else threshold_fen, override),)
    return steps


def describe(
    v: dict, valid_until: datetime | None, validity_days: int | None, override=None
) -> str:
    """The human description from the ``DESCRIBED`` columns of a template."""
    terms = m.Terms(
        kind=m.Kind(v["kind"]),
        ladder=ladder_of(v["kind"], v["ladder"], v["threshold_fen"], v["value_fen"], override),
        threshold_fen=v["threshold_fen"],
        percent_off=v["percent_off"],
        cap_fen=v["cap_fen"],
        gift_sku=v["gift_sku"],
    )
    return m.describe(terms, valid_until, validity_days)


def terms_of(t: CouponTemplate, value_fen: int | None = None) -> m.Terms:
    """A template's terms; ``value_fen`` (a birthday or rebate coupon) replaces its value."""
    return m.Terms(
        kind=m.Kind(t.kind),
        ladder=ladder_of(t.kind, t.ladder, t.threshold_fen, t.value_fen, value_fen),
        threshold_fen=t.threshold_fen,
        percent_off=t.percent_off,
        cap_fen=t.cap_fen,
        gift_sku=t.gift_sku,
        weekdays=tuple(t.weekdays),
        hours=(t.hour_from, t.hour_to)
        if t.hour_from is not None and t.hour_to is not None
        else None,
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
    return describe(
        {k: getattr(t, k) for k in DESCRIBED},
        c.valid_until if c else t.valid_until,
        t.validity_days,
        c.value_fen if c else None,
    )


# A coupon's end is computed from its issue day: more days overflowed the date (OverflowError
# at issue or claim, long after the template was accepted).
MAX_VALIDITY_DAYS = 3650


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
    if (v.get("hour_from") is None) != (v.get("hour_to") is None):
        raise InvalidInput("A time window gives both hourFrom and hourTo.", field="hourFrom")
    if v.get("trigger"):
        v["trigger"] = m.Trigger(v["trigger"]).value
    # in UTC before they are compared (a time with an offset and one without could not be)
    for k, field in (("valid_from", "validFrom"), ("valid_until", "validUntil")):
        if v.get(k) is not None:
            v[k] = clock.utc_input(v[k], field)
    vf, vu = v.get("valid_from"), v.get("valid_until")
    if vu is not None and vf is not None and vu <= vf:
        raise InvalidInput("validUntil must be after validFrom.", field="validUntil")
    if vu is not None and vu <= clock.now():
        raise InvalidInput("validUntil is already past.", field="validUntil")
    if vu is None and not v.get("validity_days"):
        raise InvalidInput("Give fixed dates or validityDays.", field="validityDays")
    days = v.get("validity_days")
    if days is not None and not 1 <= days <= MAX_VALIDITY_DAYS:
        raise InvalidInput(f"validityDays is 1-{MAX_VALIDITY_DAYS}.", field="validityDays")
    row = store.new_template(code=code, name=t.name.strip(), kind=t.kind.value, **v)
    m.check_terms(terms_of(row))
    row.stock_left = row.total_stock
    row.budget_left_fen = row.budget_fen
    row.created_at = clock.now()
    try:
        async with in_transaction():
            await store.insert_template(row)
            await audit.record(
                viewer, "coupon.template.create", "coupon_template", row.id, code=code
            )
    except IntegrityError:
        raise InvalidInput(f"Template {code} exists already.", field="code") from None
    return row


async def templates() -> list[CouponTemplate]:
    return await store.all_templates()


async def template_by_code(code: str) -> CouponTemplate:
    t = await store.template_by_code(code.strip().upper())
    if t is None:
        raise NotFound(f"No coupon template {code!r}.", field="templateCode")
    return t


@dataclass(frozen=True)
class TemplateReport:
    issued: int
    redeemed: int
    expired: int
    discount_given_fen: int
    attributed_revenue_fen: int


async def report_by_id(template_id: int) -> TemplateReport:
    return await report(await store.template(template_id))


async def report(t: CouponTemplate) -> TemplateReport:
    """Per template: issued, redeemed, expired, discount given and the revenue of the
    orders its coupons were redeemed on (net of refunds)."""
    now = clock.now()
    orders = await store.redeemed_orders(t.id)
    return TemplateReport(
        issued=t.issued_count,
        redeemed=await store.redeemed_count(t.id),
        expired=await store.count_expired(t.id, now),
        discount_given_fen=t.discount_given_fen,
        attributed_revenue_fen=sum(paid - refunded for paid, refunded in orders),
    )


async def by_ids(ids: list[int]) -> dict[int, CouponTemplate]:
    return await store.templates_by_ids(ids)
