"""Merge records, and the member rows a merge changes (status, tags)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from domain.members.model import Status
from domain.members.tables import Member, MemberMerge, MemberTag


async def lock_pair(a_id: int, b_id: int) -> tuple[Member, Member]:
    """Both member rows under row locks, taken in id order (two merges never deadlock)."""
    rows = {
        m.id: m for m in await Member.select_for_update().filter(id__in=[a_id, b_id]).order_by("id")
    }
    return rows[a_id], rows[b_id]


async def mark_merged(absorbed_id: int, survivor_id: int, now: datetime) -> None:
    await Member.filter(id=absorbed_id).update(
        status=Status.MERGED, merged_into_id=survivor_id, updated_at=now
    )


async def mark_unmerged(absorbed_id: int, status: str, now: datetime) -> None:
    """The absorbed member back on its own, with the status it had."""
    await Member.filter(id=absorbed_id).update(status=status, merged_into_id=None, updated_at=now)


async def tags_of(member_id: int) -> list[str]:
    return cast(
        list[str], await MemberTag.filter(member_id=member_id).values_list("tag", flat=True)
    )


async def add_tags(member_id: int, tags: list[str], now: datetime) -> None:
    await MemberTag.bulk_create(
        [MemberTag(member_id=member_id, tag=t, created_at=now) for t in tags]
    )


async def drop_tags(member_id: int, tags: list[str]) -> None:
    await MemberTag.filter(member_id=member_id, tag__in=tags).delete()


async def add_merge(
    *,
    survivor_id: int,
    absorbed_id: int,
    staff_id: int | None,
    reason: str,
    moved: dict[str, Any],
    created_at: datetime,
) -> MemberMerge:
    return await MemberMerge.create(
        survivor_id=survivor_id,
        absorbed_id=absorbed_id,
        staff_id=staff_id,
        reason=reason,
        moved=moved,
        created_at=created_at,
    )


async def lock_merge(merge_id: int) -> MemberMerge | None:
    """The merge record under a row lock (inside the caller's transaction)."""
    return await MemberMerge.select_for_update().get_or_none(id=merge_id)


async def mark_undone(record: MemberMerge, now: datetime) -> None:
    record.undone_at = now
    await record.save(update_fields=["undone_at"])


async def merges_into(member_id: int, limit: int) -> list[MemberMerge]:
    """The newest merges this member survived."""
    return await MemberMerge.filter(survivor_id=member_id).order_by("-id").limit(limit)


async def merges_by_ids(ids: list[int]) -> list[MemberMerge]:
    return await MemberMerge.filter(id__in=ids)
