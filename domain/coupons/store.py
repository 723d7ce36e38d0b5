"""The coupons area's store: every statement on coupons, templates and redemptions; the
services decide when, this module says how. Redemption's conditional updates stay
plain SQL (a till waits on every one of them); the give-back is the ORM."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

from tortoise.expressions import F, Q

from domain import sql
from domain.coupons.model import DESCRIBED
from domain.coupons.tables import Coupon, CouponRedemption, CouponTemplate

# The template row other layers may hold (and annotate) without importing the tables.
TemplateRow = CouponTemplate

# Redemption's conditional updates (plain SQL: a till waits on every one of them).
USE = "UPDATE coupons SET status = 'USED' WHERE id = :id AND status = 'ACTIVE'"
SPEND = "UPDATE coupon_templates SET discount_given_fen = discount_given_fen + :off WHERE id = :id"
SPEND_BUDGET = """UPDATE coupon_templates SET budget_left_fen = budget_left_fen - :off,
  discount_given_fen = discount_given_fen + :off WHERE id = :id AND budget_left_fen >= :off"""
# ``spend`` undone (a refunded order's coupon): one statement, budgeted template or not
GIVE_BACK = """UPDATE coupon_templates SET discount_given_fen = discount_given_fen - :off,
  budget_left_fen = CASE WHEN budget_fen IS NULL THEN budget_left_fen
                         ELSE budget_left_fen + :off END WHERE id = :id"""


async def use(coupon_id: int) -> bool:
    """ACTIVE -> USED; False when it was not ACTIVE."""
    return bool(await sql.execute(USE, {"id": coupon_id}))


async def spend(template_id: int, off: int, *, budgeted: bool) -> bool:
    """Count ``off`` as given; a budgeted template also takes it from the budget, and
    only if enough is left (False: the budget is spent)."""
    if not budgeted:
        await sql.execute(SPEND, {"id": template_id, "off": off})
        return True
    return bool(await sql.execute(SPEND_BUDGET, {"id": template_id, "off": off}))


async def give_back(template_id: int, off: int) -> None:
    """Undo ``spend``: the discount is no longer given, and a budget gets it back."""
    await sql.execute(GIVE_BACK, {"id": template_id, "off": off})


async def take_one(template_id: int, *, stocked: bool) -> int:
    """One more issued (and, with a stock, one less left, only if one is left)."""
    taken = CouponTemplate.filter(id=template_id)
    if stocked:
        taken = taken.filter(stock_left__gte=1)
        return await taken.update(
            stock_left=F("stock_left") - 1, issued_count=F("issued_count") + 1
        )
    return await taken.update(issued_count=F("issued_count") + 1)


async def claimable_templates(now: datetime) -> list[CouponTemplate]:
    return await CouponTemplate.filter(
        Q(claimable=True, active=True)
        & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        & (Q(stock_left__isnull=True) | Q(stock_left__gt=0))
    ).order_by("id")


async def redeemed_for_order(
    order_id: int, partner_id: int | None, order_external_id: str
) -> list[CouponRedemption]:
    return await CouponRedemption.filter(
        Q(order_id=order_id) | Q(partner_id=partner_id, order_external_id=order_external_id),
        status="REDEEMED",
    )


async def count_expired(template_id: int, now: datetime) -> int:
    """Coupons of the template that are expired, marked so or not yet."""
    return (
        await Coupon.filter(template_id=template_id)
        .filter(Q(status="EXPIRED") | Q(status="ACTIVE", valid_until__lte=now))
        .count()
    )


# The app lists coupons on every open: plain SQL reading only the columns it shows.
SELECT = """SELECT c.id, c.member_id, c.code, c.status, c.valid_from, c.valid_until, c.issued_at,
  c.source, c.value_fen, t.name AS t_name, t.validity_days AS t_validity_days, {described}
FROM coupons c JOIN coupon_templates t ON t.id = c.template_id
WHERE {where} ORDER BY c.id DESC LIMIT :limit""".replace(
    "{described}", ", ".join(f"t.{k} AS t_{k}" for k in DESCRIBED)
)
STATUS = {
    None: "",
    "ACTIVE": " AND c.status = 'ACTIVE' AND c.valid_until > :now",
    "EXPIRED": " AND (c.status = 'EXPIRED' OR (c.status = 'ACTIVE' AND c.valid_until <= :now))",
    "USED": " AND c.status = 'USED'",
}
TIMES = ("valid_from", "valid_until", "issued_at")


async def list_rows(where: str, **params) -> list[dict]:
    rows = await sql.select(SELECT.format(where=where), params, times=TIMES)
    for v in rows:  # asyncpg and SQLite both hand JSON columns back as text
        if isinstance(v["t_ladder"], str):
            v["t_ladder"] = json.loads(v["t_ladder"])
    return rows


# --- batch reads for many members at once (the member list's loaders) ---------------------

HELD_OF = """SELECT member_id, template_id, COUNT(*) AS n FROM coupons
  WHERE member_id IN (:members) GROUP BY member_id, template_id"""
TIER_CODES_OF = """SELECT m.id AS member_id, t.code FROM members m
  JOIN tiers t ON t.id = m.tier_id WHERE m.id IN (:members)"""


async def held_of(member_ids: list[int]) -> dict[int, dict[int, int]]:
    """How many coupons of each template each member holds (any status)."""
    out: dict[int, dict[int, int]] = {m: {} for m in member_ids}
    for r in await sql.select(HELD_OF, {"members": member_ids}):
        out[r["member_id"]][r["template_id"]] = int(r["n"])
    return out


async def tier_codes_of(member_ids: list[int]) -> dict[int, str]:
    """Each placed member's tier code (members not yet placed are absent)."""
    rows = await sql.select(TIER_CODES_OF, {"members": member_ids})
    return {r["member_id"]: str(r["code"]) for r in rows}


# --- coupons and templates read and written by the services, one statement each ---


async def coupon_by_code(code: str) -> Coupon | None:
    """The coupon ``code`` (already normalised)."""
    return await Coupon.get_or_none(code=code)


async def lock_coupon(coupon_id: int) -> Coupon:
    """The coupon, locked for this transaction."""
    return await Coupon.select_for_update().get(id=coupon_id)


async def template(template_id: int) -> CouponTemplate:
    return await CouponTemplate.get(id=template_id)


async def template_by_code(code: str) -> CouponTemplate | None:
    """The template ``code`` (already upper-cased)."""
    return await CouponTemplate.get_or_none(code=code)


async def all_templates() -> list[CouponTemplate]:
    return await CouponTemplate.all().order_by("id")


async def templates_by_ids(ids: list[int]) -> dict[int, CouponTemplate]:
    return {r.id: r for r in await CouponTemplate.filter(id__in=ids)}


async def trigger_template(trigger: str) -> CouponTemplate | None:
    """The first active template of an automatic trigger (BIRTHDAY, WIN_BACK...)."""
    return await CouponTemplate.filter(trigger=trigger, active=True).order_by("id").first()


def new_template(**fields: Any) -> CouponTemplate:
    """An unsaved template (its terms are checked before ``insert_template``)."""
    return CouponTemplate(**fields)


async def insert_template(row: CouponTemplate) -> None:
    """Save the new template (IntegrityError: its code is taken)."""
    await row.save()


# --- redemption (``domain.coupons.redemption``) ---


async def redeemed_since(member_id: int, template_id: int, since: datetime) -> int:
    """The member's live redemptions of the template's coupons since ``since``."""
    return await CouponRedemption.filter(
        member_id=member_id,
        coupon__template_id=template_id,
        status="REDEEMED",
        redeemed_at__gte=since,
    ).count()


async def stacking_of(codes: list[str]) -> list[tuple[str, str, bool]]:
    """(code, stacking group, exclusive) of the coupons ``codes``."""
    rows = await Coupon.filter(code__in=codes).values_list(
        "code", "template__stacking_group", "template__exclusive"
    )
    return cast(list[tuple[str, str, bool]], rows)


async def gift_sku_of(template_id: int) -> list[str]:
    """The template's gift SKU ([] when there is no such template)."""
    rows = await CouponTemplate.filter(id=template_id).values_list("gift_sku", flat=True)
    return cast(list[str], rows)


async def redemption_for(
    coupon_id: int, partner_id: int | None, order_external_id: str
) -> CouponRedemption | None:
    """The coupon's redemption for the partner's order, redeemed or voided."""
    return await CouponRedemption.get_or_none(
        coupon_id=coupon_id, partner_id=partner_id, order_external_id=order_external_id
    )


async def link_order(
    coupon_id: int, partner_id: int | None, order_external_id: str, order_id: int
) -> None:
    """The coupon's redemption for the partner's order now names the posted order."""
    await CouponRedemption.filter(
        coupon_id=coupon_id, partner_id=partner_id, order_external_id=order_external_id
    ).update(order_id=order_id)


async def add_redemption(**fields: Any) -> CouponRedemption:
    return await CouponRedemption.create(**fields)


async def save_redemption(row: CouponRedemption) -> None:
    await row.save()


async def void_redemption(redemption_id: int, now: datetime) -> None:
    """REDEEMED -> VOIDED (no change when it was voided already)."""
    await CouponRedemption.filter(id=redemption_id, status="REDEEMED").update(
        status="VOIDED", voided_at=now
    )


async def unuse(coupon_id: int, status: str) -> None:
    """USED -> ``status`` (ACTIVE again, or EXPIRED)."""
    await Coupon.filter(id=coupon_id, status="USED").update(status=status)


# --- issuing (``domain.coupons.issuing``) ---


async def holds_occasion(template_id: int, member_id: int, source_ref: str) -> bool:
    """Whether the member holds a coupon of the template for this occasion."""
    held = Coupon.filter(template_id=template_id, member_id=member_id)
    return await held.filter(source_ref=source_ref).exists()


async def held_count(template_id: int, member_id: int) -> int:
    """How many coupons of the template the member holds (any status)."""
    return await Coupon.filter(template_id=template_id, member_id=member_id).count()


async def add_coupon(**fields: Any) -> Coupon:
    """A new coupon (IntegrityError: its code, or its occasion for the member, is taken)."""
    return await Coupon.create(**fields)


# --- jobs (``domain.coupons.jobs``) ---


async def expire_coupons(now: datetime) -> int:
    """Every ACTIVE coupon past its date becomes EXPIRED; how many did."""
    return await Coupon.filter(status="ACTIVE", valid_until__lte=now).update(status="EXPIRED")


async def to_remind(now: datetime, until: datetime) -> list[Coupon]:
    """ACTIVE coupons not yet reminded of, expiring in (now, until], with their template."""
    return await (
        Coupon.filter(
            status="ACTIVE",
            reminded_at__isnull=True,
            valid_until__gt=now,
            valid_until__lte=until,
        )
        .order_by("id")
        .prefetch_related("template")
    )


async def mark_reminded(coupon_id: int, now: datetime) -> int:
    """Take the coupon's reminder (1), unless another run took it (0)."""
    return await Coupon.filter(id=coupon_id, reminded_at__isnull=True).update(reminded_at=now)


# --- template report (``domain.coupons.templates``) ---


async def redeemed_count(template_id: int) -> int:
    """Live (not voided) redemptions of the template's coupons."""
    return await CouponRedemption.filter(coupon__template_id=template_id, status="REDEEMED").count()


async def redeemed_orders(template_id: int) -> list[tuple[int, int]]:
    """(paid, refunded) of the orders the template's coupons are redeemed on."""
    live = CouponRedemption.filter(coupon__template_id=template_id, status="REDEEMED")
    rows = await live.filter(order_id__isnull=False).values_list(
        "order__total_paid_fen", "order__refunded_fen"
    )
    return cast(list[tuple[int, int]], rows)


# --- a member merge (``domain.coupons.transfer``) ---


async def occasions_held(member_id: int) -> set[tuple[int, str]]:
    """(template id, occasion) of the member's coupons issued for an occasion."""
    rows = await Coupon.filter(member_id=member_id, source_ref__isnull=False).values_list(
        "template_id", "source_ref"
    )
    return set(cast(list[tuple[int, str]], rows))


async def coupons_of(member_id: int) -> list[tuple[int, int, str | None]]:
    """(id, template id, occasion) of the member's coupons."""
    rows = await Coupon.filter(member_id=member_id).values_list("id", "template_id", "source_ref")
    return cast(list[tuple[int, int, str | None]], rows)


async def move_coupon(
    coupon_id: int, to_member: int, source_ref: str | None, *, from_member: int | None = None
) -> None:
    """The coupon (if ``from_member``'s, when given) now belongs to ``to_member``."""
    qs = Coupon.filter(id=coupon_id)
    if from_member is not None:
        qs = Coupon.filter(id=coupon_id, member_id=from_member)
    await qs.update(member_id=to_member, source_ref=source_ref)


async def redemption_ids_of(member_id: int) -> list[int]:
    ids = await CouponRedemption.filter(member_id=member_id).values_list("id", flat=True)
    return cast(list[int], ids)


async def move_redemptions(ids: list[int], to_member: int) -> None:
    await CouponRedemption.filter(id__in=ids).update(member_id=to_member)
