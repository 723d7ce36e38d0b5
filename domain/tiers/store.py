"""Reads of the tier ladder for other areas (they never import domain.tiers.tables)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import cast

from domain import sql
from domain.tiers.tables import Tier


async def get_or_none(tier_id: int | None) -> Tier | None:
    return await Tier.get_or_none(id=tier_id) if tier_id else None


async def codes(tier_id: int | None) -> list[str]:
    """The code of ``tier_id`` as a list ([] when unplaced or unknown)."""
    return cast(list[str], await Tier.filter(id=tier_id).values_list("code", flat=True))


async def ranks_by_code() -> dict[str, int]:
    return dict(await Tier.all().values_list("code", "rank"))


async def ranks_by_id(ids: list[int]) -> dict[int, int]:
    return {t.id: t.rank for t in await Tier.filter(id__in=ids)}


# Member home reads the ladder, the measure and the review date on every app open:
# plain SQL, no model building.
TIERS = """SELECT id, code, name, rank, threshold_fen, threshold_points, points_multiplier_pct,
  benefits FROM tiers ORDER BY rank"""
MEASURE_SQL = {
    "spend": "SELECT COALESCE(SUM(total_paid_fen - refunded_fen), 0) AS m FROM orders "
    "WHERE member_id = :member AND paid_at > :since",
    "points": "SELECT COALESCE(SUM(points), 0) AS m FROM ledger_entries "
    "WHERE member_id = :member AND kind = 'EARN' AND created_at > :since",
}
REVIEW_AT = "SELECT review_at FROM tier_states WHERE member_id = :member"


async def tier_rows() -> list[dict]:
    """Every tier in rank order, as dict rows."""
    rows = await sql.select(TIERS)
    for r in rows:  # JSON comes back as text from both drivers
        if isinstance(r["benefits"], str):
            r["benefits"] = json.loads(r["benefits"])
    return rows


async def measure(kind: str, member_id: int, since: datetime) -> int:
    """Qualifying spend (fen, net of refunds) or points earned since ``since``."""
    rows = await sql.select(MEASURE_SQL[kind], {"member": member_id, "since": since})
    return int(rows[0]["m"])


async def review_at(member_id: int) -> list[dict]:
    return await sql.select(REVIEW_AT, {"member": member_id}, times=("review_at",))


HOLDER = """SELECT t.code, m.status FROM members m LEFT JOIN tiers t ON t.id = m.tier_id
  WHERE m.id = :member"""


async def code_and_status_of_member(member_id: int) -> tuple[str, str] | None:
    """The member's tier code ("" when not placed) and status, in one query (the till's
    path); None for no such member."""
    rows = await sql.select(HOLDER, {"member": member_id})
    return (str(rows[0]["code"] or ""), str(rows[0]["status"])) if rows else None
