"""``loyalty ledger-verify``: every account against its ledger and its lots, in SQL."""

from __future__ import annotations

from dataclasses import dataclass

from domain import sql

SQL = """
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


@dataclass(frozen=True)
class Mismatch:
    member_id: int
    balance: int
    pending: int
    ledger_sum: int
    unreleased_lots: int
    released_lots: int

    def describe(self) -> str:
        return (
            f"member {self.member_id}: balance {self.balance} + pending {self.pending} "
            f"vs ledger {self.ledger_sum}; pending vs lots {self.unreleased_lots}; "
            f"spendable lots {self.released_lots}"
        )


async def verify() -> list[Mismatch]:
    rows = await sql.connection().execute_query_dict(SQL)
    return [
        Mismatch(
            member_id=int(r["member_id"]),
            balance=int(r["balance"]),
            pending=int(r["pending"]),
            ledger_sum=int(r["ledger_sum"]),
            unreleased_lots=int(r["unreleased"]),
            released_lots=int(r["released"]),
        )
        for r in rows
    ]


async def accounts_checked() -> int:
    rows = await sql.connection().execute_query_dict("SELECT COUNT(*) AS n FROM points_accounts")
    return int(rows[0]["n"])
