"""Points reads and writes (the area's tables behind one door)."""

from __future__ import annotations

from domain import sql

# --- batch reads for many members at once (a staff list's points in two statements) ---

ACCOUNTS_OF = """SELECT member_id, balance, pending, debt FROM points_accounts
  WHERE member_id IN (:members)"""
# Same shape as services.LIVE_LOTS (no condition on released_at, for the same reason).
LIVE_LOTS_OF = """SELECT member_id, remaining, available_at, expires_at, released_at
  FROM points_lots WHERE member_id IN (:members) AND remaining > 0
  ORDER BY member_id, available_at, id"""


async def accounts_of(member_ids: list[int]) -> dict[int, dict]:
    """Each member's balance, pending and debt (members without an account are absent)."""
    rows = await sql.select(ACCOUNTS_OF, {"members": member_ids})
    return {r["member_id"]: r for r in rows}


async def live_lots_of(member_ids: list[int]) -> dict[int, list[dict]]:
    """Each member's lots with points left, by when they become spendable."""
    rows = await sql.select(
        LIVE_LOTS_OF, {"members": member_ids}, times=("available_at", "expires_at")
    )
    out: dict[int, list[dict]] = {m: [] for m in member_ids}
    for r in rows:
        out[r.pop("member_id")].append(r)
    return out
