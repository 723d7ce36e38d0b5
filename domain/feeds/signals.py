"""The member's feed signals, one function per use case: dismiss and restore an item,
mute and unmute a category, the personalisation choice (PIPL art. 24), the app's
impression / click / add-to-cart events, and the member's feed settings.

Only the signed-in member changes their own feed (the member id comes from the viewer,
never from an argument); staff, partners and anonymous callers are refused. Every write
that changes what the feed shows bumps the member's feed version (``store.touch``) in its
own transaction, so a cached feed is never served after it. Recording events changes no
feed, so it does not bump the version (the cache would forget on every impression).

Errors: an item id that names nothing (malformed, an unknown type, a product or coupon
that does not exist) is ``UnknownFeedItem``; a category no product is filed under is
``UnknownCategory``; more than FEED_EVENTS_MAX events is ``TooManyFeedEvents``. Each
leaves nothing written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain import clock
from domain.audit import services as audit
from domain.auth.model import Principal, PrincipalKind
from domain.catalog import store as catalog
from domain.coupons import store as coupons
from domain.db import in_transaction
from domain.errors import (
    InvalidInput,
    PermissionDenied,
    TooManyFeedEvents,
    UnknownCategory,
    UnknownFeedItem,
)
from domain.events import outbox
from domain.feeds import transfer  # noqa: F401 - registers the merge step
from domain.feeds.model import DismissReason, FeedEventType, FeedKind, ItemKey, ItemType
from domain.feeds.store import signals as store
from domain.members import store as members
from domain.points import rules as points_rules
from domain.runtime import Runtime

# An event that occurred more than this long ago, or later than now plus the skew, is
# skipped and counted (``skipped``), not refused: an app flushing an old offline queue
# still gets its recent events in.
EVENT_MAX_AGE = timedelta(days=30)
EVENT_CLOCK_SKEW = timedelta(minutes=5)
_INT_MAX = 2**31 - 1
_DIGITS = re.compile(r"[1-9][0-9]{0,9}")


def member_of(viewer: Principal) -> int:
    """The signed-in member's id: only a member changes their own feed."""
    if viewer.kind is not PrincipalKind.MEMBER or viewer.id is None:
        raise PermissionDenied("Only the member changes their own feed.")
    return viewer.id


async def known_item(text: str, field: str = "itemId") -> ItemKey:
    """The item ``text`` names ("product:12"), or UnknownFeedItem when it names nothing."""
    key = ItemKey.parse(text)
    if key is None or not await _exists(key):
        raise UnknownFeedItem(field=field)
    return key


async def _exists(key: ItemKey) -> bool:
    if key.type in (ItemType.PRODUCT, ItemType.CAMPAIGN):
        # canonical ASCII digits only: "product:012" or "product:²" would name no key serving
        # knows (it writes "product:12")
        if not _DIGITS.fullmatch(key.ref) or not 0 < int(key.ref) <= _INT_MAX:
            return False
        if key.type is ItemType.PRODUCT:
            return bool(await catalog.rows_by_ids([int(key.ref)], ["id"]))
        return bool(await points_rules.campaigns_by_ids([int(key.ref)]))
    if key.type is ItemType.COUPON:
        return await coupons.template_by_code(key.ref) is not None
    try:  # POINTS: the last usable day of the expiring points
        return date.fromisoformat(key.ref).isoformat() == key.ref
    except ValueError:
        return False


# --- dismiss / restore -----------------------------------------------------------------------
@dataclass(frozen=True)
class Dismissed:
    key: ItemKey
    reason: DismissReason
    until: datetime


async def dismiss(rt: Runtime, viewer: Principal, item: str, reason: DismissReason) -> Dismissed:
    """Keep ``item`` out of the member's feed for FEED_DISMISS_DAYS. Dismissing it again
    keeps one row and moves ``until`` on."""
    member_id = member_of(viewer)
    key = await known_item(item)
    now = clock.now()
    async with in_transaction():
        row = await store.dismiss(
            member_id,
            str(key),
            reason.value,
            now,
            now + timedelta(days=rt.settings.feed_dismiss_days),
        )
        await store.touch(member_id, now)
    return Dismissed(key, DismissReason(row.reason), row.until)


async def restore(viewer: Principal, item: str) -> bool:
    """Undo a dismissal: True when the item was dismissed."""
    member_id = member_of(viewer)
    key = ItemKey.parse(item)
    if key is None:
        raise UnknownFeedItem(field="itemId")
    async with in_transaction():
        gone = await store.restore(member_id, str(key))
        if gone:
            await store.touch(member_id, clock.now())
    return bool(gone)


# --- mute / unmute ---------------------------------------------------------------------------
def category_path(text: str) -> str:
    """A category as stored: segments without surrounding blanks, no leading or trailing /."""
    path = "/".join(part.strip() for part in text.strip().strip("/").split("/"))
    if not path or "//" in path:
        raise UnknownCategory(field="category")
    return path


async def mute(viewer: Principal, category: str) -> str:
    """Mute a catalogue category (a path or a whole-segment prefix of one, "生鲜/水果"):
    nothing under it is shown until it is unmuted."""
    member_id = member_of(viewer)
    path = category_path(category)
    if not await catalog.category_exists(path):
        raise UnknownCategory(field="category")
    async with in_transaction():
        if await store.mute(member_id, path, clock.now()):
            await store.touch(member_id, clock.now())
    return path


async def unmute(viewer: Principal, category: str) -> str:
    """Unmute: a category the member muted is unmuted even if the catalogue has dropped it;
    an unknown category the member never muted is UnknownCategory."""
    member_id = member_of(viewer)
    path = category_path(category)
    async with in_transaction():
        if await store.unmute(member_id, path):
            await store.touch(member_id, clock.now())
            return path
    if not await catalog.category_exists(path):
        raise UnknownCategory(field="category")
    return path


# --- preference ------------------------------------------------------------------------------
TOPIC_PREFERENCE_CHANGED = "feed.preference_changed"


async def set_personalised(viewer: Principal, personalised: bool) -> bool:
    """The member's PIPL art. 24 choice. Off: the feed uses no personal history from now
    on (the version bump makes the next read rank again) and the member's purchases leave
    the training set at the next nightly rebuild; a change also refreshes the member's
    document at once (``TOPIC_PREFERENCE_CHANGED``). Audited (action ``feed.preference``)."""
    member_id = member_of(viewer)
    now = clock.now()
    async with in_transaction():
        before = await store.personalised(member_id)
        await store.set_personalised(member_id, personalised, now)
        await store.touch(member_id, now)
        if (True if before is None else before) is not personalised:
            await audit.record(
                viewer, "feed.preference", "member", member_id, personalised=personalised
            )
            # the member's document follows at once: emptied when off, rebuilt from their
            # history when on (else the feed stays popularity-only until the next night)
            await outbox.record(TOPIC_PREFERENCE_CHANGED, {"member_id": member_id})
    return personalised


# --- settings --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    personalised: bool
    muted_categories: list[str]
    dismissed: list[store.DismissalRow]


async def settings_of(member_id: int) -> Settings:
    personalised = await store.personalised(member_id)
    return Settings(
        personalised=True if personalised is None else personalised,
        muted_categories=await store.muted(member_id),
        dismissed=await store.dismissals(member_id, clock.now()),
    )


# --- events ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventIn:
    client_event_id: str
    item: str
    kind: FeedKind
    event: FeedEventType
    occurred_at: datetime


@dataclass(frozen=True)
class Recorded:
    accepted: int  # written by this call
    duplicates: int  # already recorded (an earlier call, or earlier in this batch)
    skipped: int  # occurred outside [now - 30 days, now + 5 minutes]


async def record_events(rt: Runtime, viewer: Principal, events: Sequence[EventIn]) -> Recorded:
    """Record the app's feed events in one insert; idempotent per (member, clientEventId)."""
    member_id = member_of(viewer)
    limit = rt.settings.feed_events_max
    if len(events) > limit:
        raise TooManyFeedEvents(
            f"At most {limit} events per call; nothing was recorded.", field="events"
        )
    keys: dict[str, ItemKey] = {}
    for i, e in enumerate(events):
        if not e.client_event_id.strip():
            raise InvalidInput("clientEventId is empty.", field=f"events.{i}.clientEventId")
        if e.item not in keys:
            keys[e.item] = await known_item(e.item, field=f"events.{i}.itemId")
    now = clock.now()
    member = await members.get_or_none(member_id)
    store_id = member.home_store_id if member else None
    rows, seen, skipped = [], set(), 0
    for i, e in enumerate(events):
        at = clock.utc_input(e.occurred_at, f"events.{i}.occurredAt")
        if at < now - EVENT_MAX_AGE or at > now + EVENT_CLOCK_SKEW:
            skipped += 1
            continue
        if e.client_event_id in seen:
            continue
        seen.add(e.client_event_id)
        key = keys[e.item]
        rows.append(
            {
                "client_event_id": e.client_event_id,
                "event": e.event.value,
                "item_key": str(key),
                "item_kind": e.kind.value,
                "product_id": int(key.ref) if key.type is ItemType.PRODUCT else None,
                "store_id": store_id,
                "occurred_at": at,
            }
        )
    async with in_transaction():
        accepted = await store.record_events(member_id, rows, now)
    return Recorded(accepted, len(events) - skipped - accepted, skipped)
