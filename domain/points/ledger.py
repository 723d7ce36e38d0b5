"""The ledger's moves. Every function here runs inside the caller's transaction and
starts by locking the member's account row (``lock``), so the moves of one member are
serialised on PostgreSQL; the balance checks are conditional on the locked row.
This module decides the moves; each row is read and written by ``domain.points.store``.

Invariants kept by every move (see ``domain.points.tables``):
    sum(entries) == balance + pending
    sum(unreleased lots) == pending,  sum(released lots) == max(balance, 0)
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain import clock
from domain.errors import InsufficientPoints
from domain.points import store
from domain.points.model import Kind, ShortfallPolicy, last_usable_day, plan_consumption

if TYPE_CHECKING:
    from domain.points.tables import LedgerEntry, PointsAccount, PointsLot

# The account row: ``lock`` locks the member's account for this transaction (creating it
# on first use); ``save_account`` writes its balance, pending, debt and overdraft flag.
lock = store.lock_account
save_account = store.save_account


async def append(
    acct: PointsAccount, kind: Kind, points: int, reason: str, **extra: Any
) -> LedgerEntry:
    return await store.add_entry(acct.member_id, kind.value, points, reason[:255], **extra)


async def credit(
    acct: PointsAccount,
    kind: Kind,
    points: int,
    reason: str,
    *,
    available_at: datetime,
    expires_at: datetime,
    order_id: int | None = None,
    breakdown: dict | None = None,
    actor: str = "system",
) -> LedgerEntry:
    """Add points as a new lot: pending until ``available_at``, released at once if due.
    A lot already past ``expires_at`` (a backdated order) is written expired: the credit
    and an EXPIRE entry for the same points, so the ledger shows both, the balance and
    pending do not move, and nothing can spend it."""
    entry = await append(
        acct,
        kind,
        points,
        reason,
        order_id=order_id,
        breakdown=breakdown or {},
        actor=actor,
        expires_at=expires_at,
    )
    now = clock.now()
    if expires_at <= now:
        await _expired_on_arrival(acct, entry, points, expires_at, order_id, actor)
        return entry
    lot = await store.add_lot(
        member_id=acct.member_id,
        entry_id=entry.id,
        order_id=order_id,
        points=points,
        remaining=points,
        available_at=available_at,
        expires_at=expires_at,
        created_at=now,
    )
    acct.pending += points
    if available_at <= now:
        await release(acct, lot)
    else:
        await save_account(acct)
    return entry


async def _expired_on_arrival(
    acct: PointsAccount,
    entry: LedgerEntry,
    points: int,
    expires_at: datetime,
    order_id: int | None,
    actor: str,
) -> None:
    """The credit ``entry`` was past expiry when written: its lot has nothing left and an
    EXPIRE entry (with the order, so a refund of that order knows these points were never
    spendable: ``expired_on_arrival``) takes the points back. Balance unchanged."""
    now = clock.now()
    lot = await store.add_lot(
        member_id=acct.member_id,
        entry_id=entry.id,
        order_id=order_id,
        points=points,
        remaining=0,
        available_at=now,
        released_at=now,
        expires_at=expires_at,
        created_at=now,
    )
    await append(
        acct,
        Kind.EXPIRE,
        -points,
        f"积分入账时已过期（有效期至 {last_usable_day(expires_at).isoformat()}）",
        breakdown={"lots": {str(lot.id): points}, "expiredOnArrival": True},
        order_id=order_id,
        actor=actor,
        expires_at=expires_at,
    )


async def expired_on_arrival(order_id: int) -> int:
    """Points an order earned that were written already expired (never spendable)."""
    return -sum(await store.expire_points_of_order(order_id))


async def release(acct: PointsAccount, lot: PointsLot) -> None:
    """A pending lot becomes spendable; it first covers an overdraft, then a debt."""
    if lot.released_at is not None:
        return
    amount = lot.remaining
    acct.pending -= amount
    cover = min(max(-acct.balance, 0), amount)
    settle = min(acct.debt, amount - cover)
    if settle:
        await append(
            acct,
            Kind.REVERSE,
            -settle,
            "抵扣退款欠分",
            breakdown={"debtSettled": settle, "lot": lot.id},
        )
        acct.debt -= settle
    acct.balance += amount - settle
    lot.remaining = amount - cover - settle
    lot.released_at = clock.now()
    await store.save_release(lot)
    await save_account(acct)


async def _take(lots: list[PointsLot], plan: dict[int, int]) -> None:
    for lot in lots:
        take = plan.get(lot.id, 0)
        if take:
            await store.take_from_lot(lot.id, take)


async def debit(
    acct: PointsAccount,
    kind: Kind,
    points: int,
    reason: str,
    *,
    order_id: int | None = None,
    actor: str = "system",
    breakdown: dict | None = None,
) -> LedgerEntry:
    """Spend ``points`` of the balance, oldest-expiring lots first (InsufficientPoints)."""
    if acct.balance < points:
        raise InsufficientPoints(needed=points, available=max(acct.balance, 0))
    lots = await store.released_lots(acct.member_id)
    plan = plan_consumption([(lot.id, lot.remaining) for lot in lots], points)
    await _take(lots, plan)
    acct.balance -= points
    await save_account(acct)
    return await append(
        acct,
        kind,
        -points,
        reason,
        order_id=order_id,
        actor=actor,
        breakdown={**(breakdown or {}), "lots": {str(k): v for k, v in plan.items()}},
    )


async def expire_lot(acct: PointsAccount, lot: PointsLot) -> int:
    """Expire what is left of a released lot; 0 when nothing is (idempotent)."""
    fresh = await store.get_lot(lot.id)
    if fresh.remaining <= 0 or fresh.released_at is None:
        return 0
    amount = fresh.remaining
    await store.empty_lot(lot.id)
    acct.balance -= amount
    await save_account(acct)
    await append(
        acct,
        Kind.EXPIRE,
        -amount,
        f"积分到期（有效期至 {last_usable_day(fresh.expires_at).isoformat()}）",
        breakdown={"lots": {str(lot.id): amount}},
        expires_at=fresh.expires_at,
    )
    return amount


async def reverse_for_order(
    acct: PointsAccount, order_id: int, points: int, reason: str, policy: ShortfallPolicy, **extra
) -> tuple[int, int]:
    """Take back ``points`` earned by an order: from its own lots first (pending or not),
    then from other spendable lots, and the rest by ``policy``. Returns (taken from
    lots, shortfall)."""
    own = await store.live_lots_of_order(order_id, acct.member_id)
    left, plan = points, {}
    for lot in sorted(own, key=lambda x: x.id):
        take = min(lot.remaining, left)
        if take:
            plan[lot.id] = take
            left -= take
            if lot.released_at is None:
                acct.pending -= take
            else:
                acct.balance -= take
    await _take(own, plan)
    others = await store.released_lots(acct.member_id, exclude=set(plan))
    more = min(left, sum(lot.remaining for lot in others))
    if more:
        other_plan = plan_consumption([(lot.id, lot.remaining) for lot in others], more)
        await _take(others, other_plan)
        plan.update(other_plan)
        acct.balance -= more
        left -= more
    shortfall = left
    recorded = points
    if shortfall and policy is ShortfallPolicy.NEGATIVE:
        acct.balance -= shortfall
        acct.overdraft_ok = True
    elif shortfall:
        acct.debt += shortfall
        recorded = points - shortfall
    await save_account(acct)
    breakdown = {"lots": {str(k): v for k, v in plan.items()}, "shortfall": shortfall}
    breakdown["policy"] = policy.value
    if recorded:
        await append(
            acct, Kind.REVERSE, -recorded, reason, breakdown=breakdown, order_id=order_id, **extra
        )
    return points - shortfall, shortfall


async def normalise(acct: PointsAccount) -> None:
    """After a merge: settle debt from the balance, then make the spendable lots add up
    to the balance (they can exceed it when an overdraft arrived with the other record)."""
    if acct.debt and acct.balance > 0:
        settle = min(acct.debt, acct.balance)
        await debit(acct, Kind.REVERSE, settle, "抵扣退款欠分", breakdown={"debtSettled": settle})
        acct.debt -= settle
        await save_account(acct)
    lots = await store.released_lots(acct.member_id)
    excess = sum(lot.remaining for lot in lots) - max(acct.balance, 0)
    if excess > 0:
        await _take(lots, plan_consumption([(lot.id, lot.remaining) for lot in lots], excess))
