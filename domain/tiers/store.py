"""Tier reads and writes (the area's tables behind one door)."""

from __future__ import annotations

from datetime import datetime

from domain import sql

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
