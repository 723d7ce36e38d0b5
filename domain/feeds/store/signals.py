"""The member's feed signals: every write of FeedDismissal, FeedMute, FeedPreference and
FeedEvent, ``touch`` (the feed cache's version bump), the report's reads and the merge's
moves. Callers own the transaction; each signal write calls ``touch`` inside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from tortoise.functions import Count, Min
from tortoise.queryset import QuerySet

from domain.db import IntegrityError, in_transaction
from domain.feeds import model
from domain.feeds.tables import FeedDismissal, FeedEvent, FeedMember, FeedMute, FeedPreference


async def touch(member_id: int, now: datetime) -> int:
    """Bump the member's FeedMember.version (feed caches keyed on it forget), creating an
    empty row when the member has none yet. The new version."""
    for _ in range(2):
        row = await FeedMember.filter(member_id=member_id).select_for_update().first()
        if row is not None:
            row.version += 1
            await row.save(update_fields=["version"])
            return row.version
        try:
            async with in_transaction():  # a savepoint: a concurrent create may win
                await FeedMember.create(
                    member_id=member_id,
                    doc=model.MemberModel().dumps(),
                    version=1,
                    rebuild_id=None,
                    computed_at=now,
                )
            return 1
        except IntegrityError:
            continue
    raise RuntimeError(f"feed member {member_id}: neither bumped nor created")


# --- dismissals --------------------------------------------------------------------------------
async def dismiss(
    member_id: int, key: str, reason: str, now: datetime, until: datetime
) -> FeedDismissal:
    """One row per (member, item): a second dismissal updates its reason and extends until."""
    row = await FeedDismissal.filter(member_id=member_id, item_key=key).first()
    if row is None:
        try:
            async with in_transaction():
                return await FeedDismissal.create(
                    member_id=member_id, item_key=key, reason=reason, created_at=now, until=until
                )
        except IntegrityError:
            row = await FeedDismissal.get(member_id=member_id, item_key=key)
    row.reason = reason
    row.until = max(row.until, until)
    await row.save(update_fields=["reason", "until"])
    return row


async def restore(member_id: int, key: str) -> int:
    return await FeedDismissal.filter(member_id=member_id, item_key=key).delete()


@dataclass(frozen=True)
class DismissalRow:
    key: str
    reason: str
    until: datetime


async def dismissals(member_id: int, now: datetime) -> list[DismissalRow]:
    """The member's dismissals still in force, newest first."""
    rows = (
        await FeedDismissal.filter(member_id=member_id, until__gt=now)
        .order_by("-created_at", "-id")
        .values_list("item_key", "reason", "until")
    )
    return [DismissalRow(k, r, u) for k, r, u in rows]


# --- mutes -------------------------------------------------------------------------------------
async def mute(member_id: int, category: str, now: datetime) -> bool:
    """Mute ``category``; False when it already was."""
    if await FeedMute.exists(member_id=member_id, category=category):
        return False
    try:
        async with in_transaction():
            await FeedMute.create(member_id=member_id, category=category, created_at=now)
    except IntegrityError:
        return False
    return True


async def unmute(member_id: int, category: str) -> int:
    return await FeedMute.filter(member_id=member_id, category=category).delete()


async def muted(member_id: int) -> list[str]:
    rows = await FeedMute.filter(member_id=member_id).order_by("category")
    return [r.category for r in rows]


# --- preference --------------------------------------------------------------------------------
async def personalised(member_id: int) -> bool | None:
    """The member's choice, None when never made (personalised, the default)."""
    rows = await FeedPreference.filter(member_id=member_id).values_list("personalised", flat=True)
    return bool(rows[0]) if rows else None


async def set_personalised(member_id: int, value: bool, now: datetime) -> None:
    if await FeedPreference.filter(member_id=member_id).update(personalised=value, updated_at=now):
        return
    try:
        async with in_transaction():
            await FeedPreference.create(member_id=member_id, personalised=value, updated_at=now)
    except IntegrityError:
        await FeedPreference.filter(member_id=member_id).update(personalised=value, updated_at=now)


async def drop_preference(member_id: int) -> None:
    await FeedPreference.filter(member_id=member_id).delete()


# --- events ------------------------------------------------------------------------------------
async def record_events(member_id: int, rows: Sequence[dict[str, Any]], now: datetime) -> int:
    """Insert ``rows`` (column values) in one statement, skipping client event ids the
    member already recorded (ON CONFLICT DO NOTHING); how many this call wrote (every row
    it wrote carries ``recorded_at=now``)."""
    if not rows:
        return 0
    await FeedEvent.bulk_create(
        [FeedEvent(member_id=member_id, recorded_at=now, **r) for r in rows],
        ignore_conflicts=True,
    )
    ids = [r["client_event_id"] for r in rows]
    return await FeedEvent.filter(
        member_id=member_id, client_event_id__in=ids, recorded_at=now
    ).count()


def _events_in(
    start: datetime, end: datetime, store_ids: Sequence[int] | None, **where: Any
) -> QuerySet[FeedEvent]:
    qs = FeedEvent.filter(occurred_at__gte=start, occurred_at__lt=end, **where)
    return qs if store_ids is None else qs.filter(store_id__in=list(store_ids))


async def events_between(
    start: datetime, end: datetime, store_ids: Sequence[int] | None
) -> dict[tuple[str, str], int]:
    """(item kind, event type) -> how many events occurred in [start, end), of members
    whose home store (when recorded) is in ``store_ids`` (None: every event). One
    GROUP BY on the (occurred_at, item_kind) index."""
    rows = (
        await _events_in(start, end, store_ids)
        .annotate(n=Count("id"))
        .group_by("item_kind", "event")
        .values_list("item_kind", "event", "n")
    )
    return {(k, e): int(n) for k, e, n in rows}


_CLICK = {"event": model.FeedEventType.CLICK.value, "product_id__isnull": False}


async def clicking_members(
    start: datetime, end: datetime, store_ids: Sequence[int] | None, after: int, limit: int
) -> list[int]:
    """The next ``limit`` members (by id, above ``after``) with a product click in
    [start, end): the report reads the clicks a page of members at a time."""
    rows = (
        await _events_in(start, end, store_ids, member_id__gt=after, **_CLICK)
        .distinct()
        .order_by("member_id")
        .limit(limit)
        .values_list("member_id", flat=True)
    )
    return [int(cast(int, m)) for m in rows]


async def first_clicks(
    start: datetime, end: datetime, store_ids: Sequence[int] | None, member_ids: Sequence[int]
) -> list[tuple[str, int, int, datetime]]:
    """(item kind, member, product, first click) of the product clicks in [start, end)
    of ``member_ids``: one row per (kind, member, product), grouped in SQL."""
    if not member_ids:
        return []
    rows = (
        await _events_in(start, end, store_ids, member_id__in=list(member_ids), **_CLICK)
        .annotate(first=Min("occurred_at"))
        .group_by("item_kind", "member_id", "product_id")
        .values_list("item_kind", "member_id", "product_id", "first")
    )
    return [(k, int(m), int(p), _datetime(at)) for k, m, p, at in rows]


def _datetime(value: datetime | str) -> datetime:
    """An aggregated timestamp: SQLite gives it back as text."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


# --- a member merge (``domain.feeds.transfer``) ------------------------------------------------
async def dismissal_rows(member_id: int) -> list[FeedDismissal]:
    return await FeedDismissal.filter(member_id=member_id).order_by("id")


async def repoint_dismissals(ids: list[int], from_member: int, to_member: int) -> None:
    if ids:
        await FeedDismissal.filter(id__in=ids, member_id=from_member).update(member_id=to_member)


async def set_dismissal(row_id: int, reason: str, until: datetime) -> None:
    await FeedDismissal.filter(id=row_id).update(reason=reason, until=until)


async def delete_dismissal(row_id: int) -> None:
    await FeedDismissal.filter(id=row_id).delete()


async def add_dismissal(
    member_id: int, key: str, reason: str, created_at: datetime, until: datetime
) -> int:
    row = await FeedDismissal.create(
        member_id=member_id, item_key=key, reason=reason, created_at=created_at, until=until
    )
    return row.id


async def mute_rows(member_id: int) -> list[FeedMute]:
    return await FeedMute.filter(member_id=member_id).order_by("id")


async def repoint_mutes(ids: list[int], from_member: int, to_member: int) -> None:
    if ids:
        await FeedMute.filter(id__in=ids, member_id=from_member).update(member_id=to_member)


async def delete_mute(row_id: int) -> None:
    await FeedMute.filter(id=row_id).delete()


async def add_mute(member_id: int, category: str, created_at: datetime) -> None:
    await FeedMute.create(member_id=member_id, category=category, created_at=created_at)


async def event_ids(member_id: int) -> list[tuple[int, str]]:
    return list(
        await FeedEvent.filter(member_id=member_id)
        .order_by("id")
        .values_list("id", "client_event_id")
    )


async def repoint_event(event_id: int, from_member: int, to_member: int, client_id: str) -> None:
    await FeedEvent.filter(id=event_id, member_id=from_member).update(
        member_id=to_member, client_event_id=client_id
    )


async def repoint_events(ids: list[int], from_member: int, to_member: int) -> None:
    if ids:
        await FeedEvent.filter(id__in=ids, member_id=from_member).update(member_id=to_member)
