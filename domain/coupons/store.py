"""Coupon reads and writes (the area's tables behind one door)."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from domain import sql
from domain.coupons.tables import CouponTemplate

# --- batch reads for many members at once ---------------------------------------------------

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


async def claimable_templates(now: datetime) -> list[CouponTemplate]:
    """Templates offered for claiming now and in stock, by id."""
    return await CouponTemplate.filter(
        Q(claimable=True, active=True)
        & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        & (Q(stock_left__isnull=True) | Q(stock_left__gt=0))
    ).order_by("id")
