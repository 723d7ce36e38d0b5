"""The ledger's statements: the account row lock, entries, lots. ``domain.points.ledger``
decides the moves (which lots, how much, the invariants); this module says how each row
is read or written. Every function runs inside the caller's transaction."""

from __future__ import annotations

from typing import Any, cast

from domain import clock
from domain.db import IntegrityError, in_transaction
from domain.points.model import Kind
from domain.points.tables import LedgerEntry, PointsAccount, PointsLot


async def lock_account(member_id: int) -> PointsAccount:
    """The member's account, locked for this transaction (created on first use)."""
    found = await PointsAccount.select_for_update().get_or_none(member_id=member_id)
    if found is not None:
        return found
    try:
        async with in_transaction():
            await PointsAccount.create(member_id=member_id, updated_at=clock.now())
    except IntegrityError:
        pass  # created by a concurrent transaction a moment ago
    return await PointsAccount.select_for_update().get(member_id=member_id)


async def save_account(acct: PointsAccount) -> None:
    """The locked account's balance, pending, debt and overdraft flag, as they are now."""
    acct.updated_at = clock.now()
    await acct.save(update_fields=["balance", "pending", "debt", "overdraft_ok", "updated_at"])


async def add_entry(
    member_id: int, kind: str, points: int, reason: str, **extra: Any
) -> LedgerEntry:
    """Append one ledger entry (the ledger is never updated nor deleted)."""
    return await LedgerEntry.create(
        member_id=member_id,
        kind=kind,
        points=points,
        reason=reason,
        created_at=clock.now(),
        **extra,
    )


async def add_lot(**fields: Any) -> PointsLot:
    """A new lot (the points of one credit entry)."""
    return await PointsLot.create(**fields)


async def save_release(lot: PointsLot) -> None:
    """The released lot's remaining points and release time."""
    await lot.save(update_fields=["remaining", "released_at"])


async def get_lot(lot_id: int) -> PointsLot:
    """The lot as it is in the database now."""
    return await PointsLot.get(id=lot_id)


async def empty_lot(lot_id: int) -> None:
    """Nothing left in the lot (it expired)."""
    await PointsLot.filter(id=lot_id).update(remaining=0)


async def expire_points_of_order(order_id: int) -> list[int]:
    """The points of the order's EXPIRE entries (negative)."""
    rows = await LedgerEntry.filter(order_id=order_id, kind=Kind.EXPIRE.value).values_list(
        "points", flat=True
    )
    return cast(list[int], rows)


async def released_lots(member_id: int, exclude: set[int] | None = None) -> list[PointsLot]:
    """The member's spendable lots with points left, oldest-expiring first."""
    qs = PointsLot.filter(member_id=member_id, released_at__not_isnull=True, remaining__gt=0)
    if exclude:
        qs = qs.exclude(id__in=list(exclude))
    return await qs.order_by("expires_at", "id")


async def live_lots_of_order(order_id: int, member_id: int) -> list[PointsLot]:
    """The member's lots of the order with points left, pending or released."""
    return await PointsLot.filter(order_id=order_id, member_id=member_id, remaining__gt=0)


# --- a member merge moves lots between accounts (``domain.points.transfer``) ---


async def live_lot_ids(member_id: int) -> list[int]:
    """The ids of the member's lots with points left."""
    ids = await PointsLot.filter(member_id=member_id, remaining__gt=0).values_list("id", flat=True)
    return cast(list[int], ids)


async def lots_of(lot_ids: list[int], member_id: int) -> list[PointsLot]:
    """Those of the lots ``lot_ids`` that belong to the member."""
    return await PointsLot.filter(id__in=lot_ids, member_id=member_id)


async def move_lots(lot_ids: list[int], to_member: int) -> None:
    """The lots ``lot_ids`` now belong to ``to_member``."""
    await PointsLot.filter(id__in=lot_ids).update(member_id=to_member)


# --- a member's ledger as the app and staff read it (``domain.points.services``) ---

# The columns of an entry as ``EntryRow`` holds them (and the order's external id).
ENTRY_FIELDS = (
    "id",
    "member_id",
    "kind",
    "points",
    "reason",
    "breakdown",
    "created_at",
    "expires_at",
)


async def entries_page(
    member_id: int, *, after_id: int | None, limit: int, kind: str | None
) -> list[dict[str, Any]]:
    """Up to ``limit`` of the member's entries before ``after_id``, newest first."""
    qs = LedgerEntry.filter(member_id=member_id)
    if after_id is not None:
        qs = qs.filter(id__lt=after_id)
    if kind:
        qs = qs.filter(kind=kind)
    return await (
        qs.order_by("-id")
        .limit(limit)
        .values(*ENTRY_FIELDS, order_external_id="order__external_id")
    )


async def entries_by_ids(ids: list[int]) -> list[dict[str, Any]]:
    """Ledger entries by id (any member)."""
    return await LedgerEntry.filter(id__in=ids).values(
        *ENTRY_FIELDS, order_external_id="order__external_id"
    )
