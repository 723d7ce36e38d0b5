"""Coupon and template writes that must be atomic (conditional updates) and the queries
that need expressions; the services decide when, this module says how. Redemption's
updates stay plain SQL (a till waits on every one of them); the give-back is the ORM."""

from __future__ import annotations

import json
from datetime import datetime

from tortoise.expressions import F, Q

from domain import sql
from domain.coupons.model import DESCRIBED
from domain.coupons.tables import Coupon, CouponRedemption, CouponTemplate

# Redemption's conditional updates (plain SQL: a till waits on every one of them).
USE = "UPDATE coupons SET status = 'USED' WHERE id = :id AND status = 'ACTIVE'"
SPEND = "UPDATE coupon_templates SET discount_given_fen = discount_given_fen + :off WHERE id = :id"
SPEND_BUDGET = """UPDATE coupon_templates SET budget_left_fen = budget_left_fen - :off,
  discount_given_fen = discount_given_fen + :off WHERE id = :id AND budget_left_fen >= :off"""


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
    t = CouponTemplate.filter(id=template_id)
    if await t.filter(budget_fen__isnull=False).exists():
        await t.update(
            budget_left_fen=F("budget_left_fen") + off,
            discount_given_fen=F("discount_given_fen") - off,
        )
    else:
        await t.update(discount_given_fen=F("discount_given_fen") - off)


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
