"""The points step of a member merge: the absorbed member's lots, balance, pending
points and debt move to the survivor with TRANSFER_OUT / TRANSFER_IN entries (the
ledger is never rewritten); unmerge moves the same lots back the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.members.merge import register_participant
from domain.points import ledger, store
from domain.points.model import Kind

if TYPE_CHECKING:
    from domain.members.tables import Member
    from domain.points.tables import PointsAccount


async def _move(
    src: PointsAccount,
    dst: PointsAccount,
    lot_ids: list[int],
    balance: int,
    pending: int,
    debt: int,
    note: str,
) -> None:
    if lot_ids:
        await store.move_lots(lot_ids, dst.member_id)
    total = balance + pending
    src.balance -= balance
    src.pending -= pending
    src.debt -= debt
    dst.balance += balance
    dst.pending += pending
    dst.debt += debt
    dst.overdraft_ok = dst.overdraft_ok or dst.balance < 0
    await ledger.save_account(src)
    await ledger.save_account(dst)
    if total:
        await ledger.append(src, Kind.TRANSFER_OUT, -total, note, breakdown={"lots": lot_ids})
        await ledger.append(dst, Kind.TRANSFER_IN, total, note, breakdown={"lots": lot_ids})


class PointsTransfer:
    name = "points"

    async def move(self, absorbed: Member, survivor: Member) -> dict[str, Any]:
        first, second = sorted((absorbed.id, survivor.id))
        accounts = {first: await ledger.lock(first), second: await ledger.lock(second)}
        src, dst = accounts[absorbed.id], accounts[survivor.id]
        lot_ids = sorted(await store.live_lot_ids(absorbed.id))
        record = {"lots": lot_ids, "balance": src.balance, "pending": src.pending, "debt": src.debt}
        await _move(
            src, dst, lot_ids, src.balance, src.pending, src.debt, f"会员合并：并入 {survivor.id}"
        )
        await ledger.normalise(dst)
        return record

    async def restore(self, record: dict[str, Any], absorbed: Member, survivor: Member) -> None:
        first, second = sorted((absorbed.id, survivor.id))
        accounts = {first: await ledger.lock(first), second: await ledger.lock(second)}
        src, dst = accounts[survivor.id], accounts[absorbed.id]
        lots = await store.lots_of(record["lots"], survivor.id)
        pending = sum(lot.remaining for lot in lots if lot.released_at is None)
        released = sum(lot.remaining for lot in lots if lot.released_at is not None)
        balance = released + min(record["balance"], 0)
        debt = min(record["debt"], src.debt)
        await _move(
            src,
            dst,
            [lot.id for lot in lots],
            balance,
            pending,
            debt,
            f"撤销会员合并：退回 {absorbed.id}",
        )
        await ledger.normalise(src)


register_participant(PointsTransfer())
