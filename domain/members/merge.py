"""Merging two records of one person, and undoing it.

A merge runs every registered ``Participant`` inside one transaction with both
member rows locked (in id order, so two merges never deadlock). Each participant
moves its own rows from the absorbed member to the survivor and returns a JSON
record of exactly what it moved; the records are stored on the MemberMerge row and
``unmerge`` hands each participant its record back to undo just that. Later areas
(points ledger, coupons, tickets) plug in with ``register_participant``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from domain import clock
from domain.audit import services as audit
from domain.auth import policy
from domain.auth.model import Principal
from domain.db import in_transaction
from domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from domain.events import outbox
from domain.members import store
from domain.members.model import NEW_TAG, Status
from domain.members.scope import get_visible
from domain.orders import store as orders
from domain.tiers import store as tiers

if TYPE_CHECKING:
    from domain.members.tables import Member, MemberMerge

TOPIC_MERGED = "member.merged"
TOPIC_UNMERGED = "member.unmerged"


class Participant(Protocol):
    name: str

    async def move(self, absorbed: Member, survivor: Member) -> Any:
        """Move this area's rows; return a JSON-able record of what moved."""

    async def restore(self, record: Any, absorbed: Member, survivor: Member) -> None:
        """Undo exactly what ``move`` recorded."""


class Identities:
    """The absorbed member's channel identities, re-pointed by their ids."""

    name = "identities"

    async def move(self, absorbed: Member, survivor: Member) -> list[int]:
        ids = await store.identity_ids_of(absorbed.id)
        if ids:
            await store.move_identities(ids, survivor.id)
        return sorted(ids)

    async def restore(self, record: list[int], absorbed: Member, survivor: Member) -> None:
        if record:
            await store.return_identities(record, survivor.id, absorbed.id)


class Orders:
    """The absorbed member's orders, re-pointed by their ids (through the orders store)."""

    name = "orders"

    async def move(self, absorbed: Member, survivor: Member) -> list[int]:
        ids = await orders.member_order_ids(absorbed.id)
        if ids:
            await orders.repoint(ids, absorbed.id, survivor.id)
        return sorted(ids)

    async def restore(self, record: list[int], absorbed: Member, survivor: Member) -> None:
        if record:
            await orders.repoint(record, survivor.id, absorbed.id)


class Tags:
    """The survivor gains the absorbed member's tags it lacks (``new`` is never carried
    over: the person is not new); unmerge removes exactly the tags it added."""

    name = "tags"

    async def move(self, absorbed: Member, survivor: Member) -> list[str]:
        have = set(await store.tags_of(survivor.id))
        theirs = await store.tags_of(absorbed.id)
        added = sorted({t for t in theirs if t not in have and t != NEW_TAG})
        await store.add_tags(survivor.id, added, clock.now())
        return added

    async def restore(self, record: list[str], absorbed: Member, survivor: Member) -> None:
        if record:
            await store.drop_tags(survivor.id, record)


class HigherTier:
    """The survivor keeps the higher of the two tiers; unmerge puts its own back."""

    name = "tier"

    async def move(self, absorbed: Member, survivor: Member) -> dict[str, int | None]:
        before = survivor.tier_id
        ranks = await tiers.ranks_by_id([i for i in (before, absorbed.tier_id) if i])
        best = max((before, absorbed.tier_id), key=lambda i: ranks.get(i, -1) if i else -1)
        if best != before:
            await store.set_tier(survivor.id, best)
        return {"survivor_tier_id": before}

    async def restore(self, record: dict[str, Any], absorbed: Member, survivor: Member) -> None:
        await store.set_tier(survivor.id, record["survivor_tier_id"])


PARTICIPANTS: list[Participant] = [
    Identities(),
    Orders(),
    Tags(),
    HigherTier(),
]


def register_participant(participant: Participant) -> None:
    """Called once at import by an area that owns member rows (points, coupons, ...)."""
    if any(p.name == participant.name for p in PARTICIPANTS):
        raise ValueError(f"merge participant {participant.name!r} registered twice")
    PARTICIPANTS.append(participant)


@dataclass(frozen=True)
class PointsMoved:
    """What the points participant moved: the amounts of its TRANSFER_OUT / TRANSFER_IN
    entries, and the lots (each keeping its own expiry)."""

    balance: int = 0
    pending: int = 0
    debt: int = 0
    lot_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CouponsMoved:
    """What the coupons participant moved: the coupons and their redemptions."""

    coupon_ids: tuple[int, ...] = ()
    redemption_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class MergeView:
    id: int
    survivor_id: int
    absorbed_id: int
    reason: str
    moved_counts: dict[str, int]
    points: PointsMoved
    coupons: CouponsMoved
    created_at: datetime
    undone_at: datetime | None


def _points_moved(record: Any) -> PointsMoved:
    """The record of ``domain.points.transfer`` (absent before that area took part)."""
    if not isinstance(record, dict):
        return PointsMoved()
    return PointsMoved(
        balance=int(record.get("balance", 0)),
        pending=int(record.get("pending", 0)),
        debt=int(record.get("debt", 0)),
        lot_ids=tuple(sorted(record.get("lots", []))),
    )


def _coupons_moved(record: Any) -> CouponsMoved:
    """The record of ``domain.coupons.transfer``: ``[[coupon id, occasion], ...]``."""
    if not isinstance(record, dict):
        return CouponsMoved()
    return CouponsMoved(
        coupon_ids=tuple(sorted(pair[0] for pair in record.get("coupons", []))),
        redemption_ids=tuple(sorted(record.get("redemptions", []))),
    )


def _view(m: MemberMerge) -> MergeView:
    counts = {k: len(v) for k, v in m.moved.items() if isinstance(v, list)}
    points, coupons = _points_moved(m.moved.get("points")), _coupons_moved(m.moved.get("coupons"))
    counts["coupons"] = len(coupons.coupon_ids)  # a record, not a list: counted here
    return MergeView(
        id=m.id,
        survivor_id=m.survivor_id,
        absorbed_id=m.absorbed_id,
        reason=m.reason,
        moved_counts=counts,
        points=points,
        coupons=coupons,
        created_at=m.created_at,
        undone_at=m.undone_at,
    )


def _check_role(viewer: Principal) -> None:
    if not policy.MERGE_MEMBERS.allows(viewer):
        raise PermissionDenied("Only an admin or a service agent can merge members.")


async def merge(
    settings: Any, viewer: Principal, survivor_id: int, absorbed_id: int, reason: str
) -> MergeView:
    _check_role(viewer)
    reason = " ".join((reason or "").split())
    if len(reason) < 4:
        raise InvalidInput("Say why these records are one person.", field="reason")
    if survivor_id == absorbed_id:
        raise InvalidInput("A member cannot be merged into itself.", field="absorbedId")
    async with in_transaction():
        await get_visible(settings, viewer, survivor_id)  # scope: both must be visible
        await get_visible(settings, viewer, absorbed_id)
        survivor, absorbed = await store.lock_pair(survivor_id, absorbed_id)
        for m in (survivor, absorbed):
            if m.status not in (Status.ACTIVE, Status.FROZEN):
                raise Conflict(f"Member {m.id} is {m.status} and cannot be merged.")
        moved: dict[str, Any] = {"absorbed_status": absorbed.status}
        for p in PARTICIPANTS:
            moved[p.name] = await p.move(absorbed, survivor)
        await store.mark_merged(absorbed.id, survivor.id, clock.now())
        record = await store.add_merge(
            survivor_id=survivor.id,
            absorbed_id=absorbed.id,
            staff_id=viewer.id,
            reason=reason,
            moved=moved,
            created_at=clock.now(),
        )
        await audit.record(
            viewer, "member.merge", "member", survivor.id, absorbed=absorbed.id, merge=record.id
        )
        await outbox.record(
            TOPIC_MERGED, {"merge_id": record.id, "survivor": survivor.id, "absorbed": absorbed.id}
        )
    return _view(record)


async def unmerge(settings: Any, viewer: Principal, merge_id: int, reason: str) -> MergeView:
    """Undo a merge: every participant restores what it moved; the absorbed member
    comes back with its old status. Refused while a later merge absorbed the survivor."""
    _check_role(viewer)
    async with in_transaction():
        record = await store.lock_merge(merge_id)
        if record is None:
            raise NotFound("No such merge.", field="mergeId")
        await get_visible(settings, viewer, record.survivor_id)
        if record.undone_at is not None:
            raise Conflict("This merge was already undone.")
        survivor, absorbed = await store.lock_pair(record.survivor_id, record.absorbed_id)
        if survivor.status == Status.MERGED:
            raise Conflict("The survivor was merged again since; undo that merge first.")
        for p in reversed(PARTICIPANTS):
            if p.name in record.moved:
                await p.restore(record.moved[p.name], absorbed, survivor)
        await store.mark_unmerged(
            absorbed.id, record.moved.get("absorbed_status", Status.ACTIVE), clock.now()
        )
        await store.mark_undone(record, clock.now())
        await audit.record(
            viewer, "member.unmerge", "member", survivor.id, merge=record.id, reason=reason
        )
        await outbox.record(
            TOPIC_UNMERGED,
            {"merge_id": record.id, "survivor": survivor.id, "absorbed": absorbed.id},
        )
    return _view(record)


async def merges_of(member_id: int) -> list[MergeView]:
    rows = await store.merges_into(member_id, 20)
    return [_view(r) for r in rows]


async def by_ids(ids: list[int]) -> dict[int, MergeView]:
    """Merges by id (for ``node``; the caller applies the survivor's member scope)."""
    return {r.id: _view(r) for r in await store.merges_by_ids(ids)}
