"""Reads of the organisation's rows (regions, stores, staff) for other layers and areas."""

from __future__ import annotations

from domain.org.tables import Region, Staff, Store


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
