"""The points area's store: every statement on the points tables.

Here: the reads of the member home and of staff lists (plain SQL), the ledger check,
and the statements built from expressions (conditional updates of lots and reward
stock, the year's sum). The ORM statements are in the modules of this package, one per
use: ``ledger`` (account lock, entries, lots), ``jobs`` (the scheduled jobs), ``rules``
(earning rules, campaigns), ``rewards``. All are re-exported: callers use
``from domain.points import store`` and ``store.<function>``.

Only this package imports tortoise expressions and ``domain.sql`` (the import contracts
name ``domain.*.store``, which the package's own modules are not).
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F, Q
from tortoise.functions import Sum

from domain import sql
from domain.points.model import Kind
from domain.points.store.jobs import (
    add_expiry_reminder,
    add_rebate,
    earners,
    lots_expiring,
    lots_to_expire,
    lots_to_release,
    members_with_lots_to_expire,
    members_with_lots_to_release,
    rebated,
)
from domain.points.store.ledger import (
    ENTRY_FIELDS,
    add_entry,
    add_lot,
    empty_lot,
    entries_by_ids,
    entries_page,
    expire_points_of_order,
    get_lot,
    live_lot_ids,
    live_lots_of_order,
    lock_account,
    lots_of,
    move_lots,
    released_lots,
    save_account,
    save_release,
)
from domain.points.store.rewards import (
    active_reward,
    active_rewards,
    add_redemption,
    redemption_of_request,
    redemptions_of,
    save_outcomes,
    upsert_reward,
)
from domain.points.store.rules import (
    add_campaign,
    campaigns_by_ids,
    campaigns_on,
    earn_rules,
    lock_earn_rules,
    save_earn_rules,
)
from domain.points.tables import LedgerEntry, PointsLot, Reward

__all__ = [  # the modules' functions, re-exported
    "ENTRY_FIELDS",
    "active_reward",
    "active_rewards",
    "add_campaign",
    "add_entry",
    "add_expiry_reminder",
    "add_lot",
    "add_rebate",
    "add_redemption",
    "campaigns_by_ids",
    "campaigns_on",
    "earn_rules",
    "earners",
    "empty_lot",
    "entries_by_ids",
    "entries_page",
    "expire_points_of_order",
    "get_lot",
    "live_lot_ids",
    "live_lots_of_order",
    "lock_account",
    "lock_earn_rules",
    "lots_expiring",
    "lots_of",
    "lots_to_expire",
    "lots_to_release",
    "members_with_lots_to_expire",
    "members_with_lots_to_release",
    "move_lots",
    "rebated",
    "redemption_of_request",
    "redemptions_of",
    "released_lots",
    "save_account",
    "save_earn_rules",
    "save_outcomes",
    "save_release",
    "upsert_reward",
]


async def net_points_of_year(member_id: int, start: datetime, end: datetime) -> int:
    """A member's EARN and REVERSE entries created in [start, end), summed: the net
    points of the year that the year-end rebate converts."""
    rows = await (
        LedgerEntry.filter(
            member_id=member_id,
            kind__in=(Kind.EARN.value, Kind.REVERSE.value),
            created_at__gte=start,
            created_at__lt=end,
        )
        .group_by("member_id")
        .annotate(total=Sum("points"))
        .values("total")
    )
    return int(rows[0]["total"] or 0) if rows else 0


async def take_from_lot(lot_id: int, take: int) -> None:
    await PointsLot.filter(id=lot_id).update(remaining=F("remaining") - take)


async def take_reward_stock(reward_id: int, quantity: int) -> int:
    """``quantity`` out of the reward's stock, only if that many are left (0: not)."""
    return await Reward.filter(Q(id=reward_id) & Q(stock__gte=quantity)).update(
        stock=F("stock") - quantity
    )


# The member home reads these on every app open: plain SQL, no ORM building or hydration.
ACCOUNT = "SELECT balance, pending, debt FROM points_accounts WHERE member_id = :member"
# A member's lots with points left, pending and released alike, in one statement. No
# condition on released_at on purpose: with one, a planner whose statistics still said
# no lot was pending (after a bulk load, before autovacuum analysed the day's orders)
# chose the release job's index and walked every pending lot of every member (0.05 ->
# 35 ms at 1,000,000 members); without, only the member's own indexes can serve it.
LIVE_LOTS = """SELECT remaining, available_at, expires_at, released_at FROM points_lots
  WHERE member_id = :member AND remaining > 0
  ORDER BY available_at, id"""


async def live_lots(member_id: int) -> list[dict]:
    return await sql.select(LIVE_LOTS, {"member": member_id}, times=("available_at", "expires_at"))


async def account_row(member_id: int) -> list[dict]:
    """The account's balance, pending and debt ([] before the member's first points)."""
    return await sql.select(ACCOUNT, {"member": member_id})


# ``loyalty ledger-verify``: every account against its ledger and its lots, in one statement.
VERIFY_SQL = """
SELECT a.member_id, a.balance, a.pending,
       COALESCE(e.total, 0) AS ledger_sum,
       COALESCE(l.unreleased, 0) AS unreleased, COALESCE(l.released, 0) AS released
FROM points_accounts a
LEFT JOIN (SELECT member_id, SUM(points) AS total FROM ledger_entries GROUP BY member_id) e
       ON e.member_id = a.member_id
LEFT JOIN (SELECT member_id,
                  SUM(CASE WHEN released_at IS NULL THEN remaining ELSE 0 END) AS unreleased,
                  SUM(CASE WHEN released_at IS NULL THEN 0 ELSE remaining END) AS released
           FROM points_lots GROUP BY member_id) l
       ON l.member_id = a.member_id
WHERE a.balance + a.pending <> COALESCE(e.total, 0)
   OR a.pending <> COALESCE(l.unreleased, 0)
   OR (CASE WHEN a.balance > 0 THEN a.balance ELSE 0 END) <> COALESCE(l.released, 0)
UNION ALL
SELECT e.member_id, 0, 0, SUM(e.points), 0, 0
FROM ledger_entries e LEFT JOIN points_accounts a ON a.member_id = e.member_id
WHERE a.member_id IS NULL GROUP BY e.member_id HAVING SUM(e.points) <> 0
"""


async def ledger_mismatches() -> list[dict]:
    """Rows of the accounts whose balance, pending or lots disagree with the ledger."""
    return await sql.connection().execute_query_dict(VERIFY_SQL)


async def account_count() -> list[dict]:
    return await sql.connection().execute_query_dict("SELECT COUNT(*) AS n FROM points_accounts")


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
