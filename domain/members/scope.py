"""Row-level scope: which members a caller may see and act on.

Every member query of the domain starts from ``member_filter(...)``, so no GraphQL field
(``member``, ``members``, ``node``, the 360 view, a mutation) can reach a member
outside the caller's scope: HQ staff see all; region staff the members whose home
store is in their region; store staff their store's region, or only their store when
``STORE_STAFF_SCOPE=store``; a member only themself; partners with ``members:read``
(or ``members:write``) everyone, masked. Members without a home store are HQ's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.auth import policy
from domain.auth.model import Principal, PrincipalKind
from domain.config import Settings
from domain.errors import NotFound
from domain.members import store

if TYPE_CHECKING:
    from domain.members.tables import Member


def member_filter(settings: Settings, viewer: Principal) -> dict[str, object] | None:
    """ORM filter of the members ``viewer`` may see; None: none at all."""
    if not policy.SEE_MEMBERS.allows(viewer):
        return None  # e.g. analysts (aggregates only), partners without a member scope
    if viewer.kind is PrincipalKind.MEMBER:
        return {"id": viewer.id}
    if viewer.kind is PrincipalKind.STAFF:
        if viewer.store_id is not None and (
            settings.store_staff_scope == "store" or viewer.region_id is None
        ):
            return {"home_store_id": viewer.store_id}
        if viewer.region_id is not None:
            return {"home_store__region_id": viewer.region_id}
        return {}
    return {}  # partners with a member scope: everyone, masked


async def get_visible(settings: Settings, viewer: Principal, member_id: int) -> Member:
    """The member, or NotFound when missing or outside the scope (never tell which)."""
    found = await store.visible_member(member_filter(settings, viewer), member_id)
    if found is None:
        raise NotFound("No such member.", field="memberId")
    return found


def is_hq(viewer: Principal) -> bool:
    return viewer.kind is PrincipalKind.STAFF and viewer.region_id is None and not viewer.store_id


def store_in_scope(settings: Settings, viewer: Principal, store_id: int, region_id: int) -> bool:
    """May a staff member put a member into this store (register, move home store)?"""
    if viewer.kind is not PrincipalKind.STAFF or is_hq(viewer):
        return True
    if viewer.store_id is not None and settings.store_staff_scope == "store":
        return store_id == viewer.store_id
    return region_id == viewer.region_id


async def visible_ids(settings: Settings, viewer: Principal, member_ids: set[int]) -> set[int]:
    """Those of ``member_ids`` that ``viewer`` may see."""
    if not member_ids:
        return set()
    scope = member_filter(settings, viewer)
    return set(await store.visible_member_ids(scope, list(member_ids)))
