"""``loyalty ledger-verify``: every account against its ledger and its lots, in SQL."""

from __future__ import annotations

from dataclasses import dataclass

from domain.points import store


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
    rows = await store.ledger_mismatches()
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
    rows = await store.account_count()
    return int(rows[0]["n"])
