"""Reads of the organisation's rows (regions, stores, staff) for other layers and areas."""

from __future__ import annotations

from domain.org.tables import Region, Staff, Store

# The rows other layers may hold (and annotate) without importing the tables.
StoreRow = Store
RegionRow = Region


async def regions_by_ids(ids: list[int]) -> dict[int, Region]:
    return {r.id: r for r in await Region.filter(id__in=ids)}


async def stores_by_ids(ids: list[int]) -> dict[int, Store]:
    return {s.id: s for s in await Store.filter(id__in=ids)}


async def region_by_code(code: str) -> Region | None:
    return await Region.get_or_none(code=code)


async def store_by_code(code: str) -> Store | None:
    return await Store.get_or_none(code=code)


async def active_staff(staff_id: int) -> Staff | None:
    return await Staff.get_or_none(id=staff_id, active=True).select_related("store")


async def active_staff_by_email(email: str) -> Staff | None:
    return await Staff.get_or_none(email=email, active=True).select_related("store")


async def staff_by_id_or_email(ref: str) -> Staff | None:
    """A staff account by numeric id or by e-mail (lower-cased), active or not."""
    return await Staff.get_or_none(
        **({"id": int(ref)} if ref.isdigit() else {"email": ref.lower()})
    )


async def create_staff(
    *,
    email: str,
    display_name: str,
    password_hash: str,
    role: str,
    region: Region | None,
    store: Store | None,
) -> Staff:
    return await Staff.create(
        email=email,
        display_name=display_name,
        password_hash=password_hash,
        role=role,
        region=region,
        store=store,
    )


async def staff_by_id(staff_id: int) -> Staff | None:
    return await Staff.get_or_none(id=staff_id)


async def lock_active_admin_ids(admin_role: str) -> list[int]:
    """Ids of the active admins, locked (rows, not values_list: `.values*()` after
    select_for_update drops the lock)."""
    locked = await Staff.filter(role=admin_role, active=True).order_by("id").select_for_update()
    return [row.id for row in locked]


async def deactivate_staff(staff_id: int) -> int:
    """Mark the account inactive if it is active; the number of rows changed (0 or 1)."""
    return await Staff.filter(id=staff_id, active=True).update(active=False)


async def store_ids_in_region(region_id: int) -> list[int]:
    return [s.id for s in await Store.filter(region_id=region_id).only("id")]
