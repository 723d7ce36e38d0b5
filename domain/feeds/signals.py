"""The member's feed signals, one function per use case: dismiss and restore an item,
mute and unmute a category, the personalisation choice (PIPL art. 24), the app's
impression / click / add-to-cart events, and the member's feed settings.

Only the signed-in member changes their own feed (the member id comes from the viewer,
never from an argument); staff, partners and anonymous callers are refused. Every write
that changes what the feed shows bumps the member's feed version (``store.touch``) in its
own transaction, so a cached feed is never served after it. Recording events changes no
feed, so it does not bump the version (the cache would forget on every impression).

Errors: dismissing an item the member's feed may not show (``Known``: a malformed id,
an unknown type, a product that does not exist, a coupon template the member cannot
claim, a campaign that is over or never was, a day on which none of the member's points
expire) is ``UnknownFeedItem``; a category no product is filed under is
``UnknownCategory``; more than FEED_EVENTS_MAX events is ``TooManyFeedEvents``; what
else an event batch refuses or skips: ``record_events``. Each refusal leaves nothing
written.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from domain import clock
from domain.audit import services as audit
from domain.auth.model import Principal, PrincipalKind
from domain.catalog import store as catalog
from domain.coupons import issuing
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
from domain.feeds.model import (
    PERSONAL_KINDS,
    PRODUCT_KINDS,
    DismissReason,
    FeedEventType,
    FeedKind,
    ItemKey,
    ItemType,
)
from domain.feeds.store import signals as store
from domain.members import services as member_services
from domain.members import store as members
from domain.points import rules as points_rules
from domain.points import services as points
from domain.points import store as points_store
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.members.tables import Member

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


def parse_item(text: str) -> ItemKey | None:
    """The key ``text`` spells in canonical form, or None: a product or campaign ref must
    be canonical ASCII digits ("product:012" or "product:²" would name no key serving
    writes), an expiring-points ref an ISO date."""
    key = ItemKey.parse(text)
    if key is None:
        return None
    if key.type in (ItemType.PRODUCT, ItemType.CAMPAIGN):
        ok = bool(_DIGITS.fullmatch(key.ref)) and 0 < int(key.ref) <= _INT_MAX
        return key if ok else None
    if key.type is ItemType.POINTS:
        try:
            return key if date.fromisoformat(key.ref).isoformat() == key.ref else None
        except ValueError:
            return None
    return key


@dataclass(frozen=True)
class Known:
    """Of some keys, those that name an item the member's feed may show: existing
    products; coupon templates claimable by the member (that fit their tier, under their
    per-member limit); active campaigns that have not ended; the last usable days of the
    member's points expiring within POINTS_EXPIRING_NOTICE_DAYS."""

    keys: frozenset[str]

    def __contains__(self, key: ItemKey) -> bool:
        return str(key) in self.keys


async def known_items(rt: Runtime, member: Member, keys: Iterable[ItemKey]) -> Known:
    """Which of ``keys`` the member's feed may show: one query per item type named."""
    by_type: dict[ItemType, set[str]] = defaultdict(set)
    for key in keys:
        by_type[key.type].add(key.ref)
    found: set[str] = set()
    if refs := by_type.get(ItemType.PRODUCT):
        rows = await catalog.rows_by_ids(sorted(int(r) for r in refs), ["id"])
        found |= {str(ItemKey.product(r["id"])) for r in rows}
    if by_type.get(ItemType.COUPON):
        claimable = (await issuing.claimable_many([member.id])).get(member.id, [])
        found |= {f"{ItemType.COUPON.value}:{t.code}" for t in claimable}
    if refs := by_type.get(ItemType.CAMPAIGN):
        today = clock.business_date()
        campaigns = await points_rules.campaigns_by_ids(sorted(int(r) for r in refs))
        found |= {
            f"{ItemType.CAMPAIGN.value}:{c.id}"
            for c in campaigns.values()
            if c.active and c.ends_on >= today
        }
    if by_type.get(ItemType.POINTS):
        view = member_services.view(rt, Principal(PrincipalKind.MEMBER, member.id), member)
        lots = await points_store.live_lots(member.id)
        days = rt.settings.points_expiring_notice_days
        found |= {
            f"{ItemType.POINTS.value}:{up.last_day.isoformat()}"
            for up in await points.expiring(view, days, lots)
            if up.last_day is not None and up.points > 0
        }
    return Known(frozenset(found))


async def known_item(rt: Runtime, member: Member, text: str, field: str = "itemId") -> ItemKey:
    """The item ``text`` names ("product:12") if the member's feed may show it (``Known``),
    else UnknownFeedItem."""
    key = parse_item(text)
    if key is None or key not in await known_items(rt, member, [key]):
        raise UnknownFeedItem(field=field)
    return key


def kind_fits(key: ItemKey, kind: FeedKind) -> bool:
    """Whether an event's ``kind`` is one an item of the key's type is shown as."""
    if key.type is ItemType.PRODUCT:
        return kind in PRODUCT_KINDS
    return kind is _OFFER_KIND[key.type]


_OFFER_KIND = {
    ItemType.COUPON: FeedKind.COUPON,
    ItemType.CAMPAIGN: FeedKind.CAMPAIGN,
    ItemType.POINTS: FeedKind.POINTS_EXPIRING,
}


async def _member(member_id: int) -> Member:
    member = await members.get_or_none(member_id)
    if member is None:
        raise PermissionDenied("Only the member changes their own feed.")
    return member


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
    key = await known_item(rt, await _member(member_id), item)
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
    """Record the app's feed events in one insert; idempotent per (member, clientEventId).

    Refused whole (nothing written): more than FEED_EVENTS_MAX events; an empty
    clientEventId or a bad occurredAt (InvalidInput); an item id that names nothing — a
    malformed id or a product that does not exist — (UnknownFeedItem); a ``kind`` an item
    of that type is never shown as (product: one of the product kinds; coupon: COUPON;
    campaign: CAMPAIGN; points: POINTS_EXPIRING) (InvalidInput on ``events.<i>.kind``).
    Skipped and counted in ``skipped``, the rest recorded: an event outside [now - 30
    days, now + 5 minutes]; an offer (coupon, campaign, expiring points) the member's feed
    does not show now (claimed since, ended, spent, or never theirs: an app flushing its
    queue keeps its other events); an event of a personal kind (``PERSONAL_KINDS``) from a
    member who turned personalisation off (their feed shows none now: the event is from
    before the switch or made up, and their choice keeps it out of the figures)."""
    member_id = member_of(viewer)
    limit = rt.settings.feed_events_max
    if len(events) > limit:
        raise TooManyFeedEvents(
            f"At most {limit} events per call; nothing was recorded.", field="events"
        )
    keys: list[ItemKey] = []
    for i, e in enumerate(events):
        if not e.client_event_id.strip():
            raise InvalidInput("clientEventId is empty.", field=f"events.{i}.clientEventId")
        key = parse_item(e.item)
        if key is None:
            raise UnknownFeedItem(field=f"events.{i}.itemId")
        if not kind_fits(key, e.kind):
            raise InvalidInput(
                f"kind {e.kind.value} is not a kind of a {key.type.value} item.",
                field=f"events.{i}.kind",
            )
        keys.append(key)
    member = await _member(member_id)
    known = await known_items(rt, member, keys)
    for i, key in enumerate(keys):
        if key.type is ItemType.PRODUCT and key not in known:
            raise UnknownFeedItem(field=f"events.{i}.itemId")
    now = clock.now()
    personalised = await store.personalised(member_id) is not False
    rows, seen, skipped = [], set(), 0
    for i, (e, key) in enumerate(zip(events, keys, strict=True)):
        at = clock.utc_input(e.occurred_at, f"events.{i}.occurredAt")
        if (
            at < now - EVENT_MAX_AGE
            or at > now + EVENT_CLOCK_SKEW
            or key not in known
            or (not personalised and e.kind in PERSONAL_KINDS)
        ):
            skipped += 1
            continue
        if e.client_event_id in seen:
            continue
        seen.add(e.client_event_id)
        rows.append(
            {
                "client_event_id": e.client_event_id,
                "event": e.event.value,
                "item_key": str(key),
                "item_kind": e.kind.value,
                "product_id": int(key.ref) if key.type is ItemType.PRODUCT else None,
                "store_id": member.home_store_id,
                "occurred_at": at,
            }
        )
    async with in_transaction():
        accepted = await store.record_events(member_id, rows, now)
    return Recorded(accepted, len(events) - skipped - accepted, skipped)
