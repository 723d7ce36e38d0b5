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


# --- batch reads for many members at once (a staff list's tiers in a few statements) -----

REVIEW_AT_OF = "SELECT member_id, review_at FROM tier_states WHERE member_id IN (:members)"
MEASURES_OF = {
    "spend": "SELECT member_id, COALESCE(SUM(total_paid_fen - refunded_fen), 0) AS m "
    "FROM orders WHERE member_id IN (:members) AND paid_at > :since GROUP BY member_id",
    "points": "SELECT member_id, COALESCE(SUM(points), 0) AS m FROM ledger_entries "
    "WHERE member_id IN (:members) AND kind = 'EARN' AND created_at > :since "
    "GROUP BY member_id",
}
# The newest ``:limit`` changes of each member (a window per member, one statement).
HISTORY_OF = """SELECT member_id, reason, measure, detail, created_at, from_code, to_code
  FROM (SELECT h.member_id, h.reason, h.measure, h.detail, h.created_at,
               f.code AS from_code, t.code AS to_code,
               ROW_NUMBER() OVER (PARTITION BY h.member_id ORDER BY h.id DESC) AS n
          FROM tier_history h
          LEFT JOIN tiers f ON f.id = h.from_tier_id
          LEFT JOIN tiers t ON t.id = h.to_tier_id
         WHERE h.member_id IN (:members)) newest
 WHERE n <= :limit ORDER BY member_id, n"""


async def review_at_of(member_ids: list[int]) -> dict[int, datetime]:
    """The next review of each member that has a tier state."""
    rows = await sql.select(REVIEW_AT_OF, {"members": member_ids}, times=("review_at",))
    return {r["member_id"]: r["review_at"] for r in rows}


async def measures_of(measure: str, member_ids: list[int], since: datetime) -> dict[int, int]:
    """Qualifying spend (fen, net of refunds) or points earned since ``since``; members
    with none are absent."""
    rows = await sql.select(MEASURES_OF[measure], {"members": member_ids, "since": since})
    return {r["member_id"]: int(r["m"]) for r in rows}


async def history_of(member_ids: list[int], limit: int) -> dict[int, list[dict]]:
    """Each member's newest ``limit`` tier changes, newest first."""
    rows = await sql.select(
        HISTORY_OF, {"members": member_ids, "limit": limit}, times=("created_at",)
    )
    out: dict[int, list[dict]] = {m: [] for m in member_ids}
    for r in rows:
        out[r.pop("member_id")].append(r)
    return out
