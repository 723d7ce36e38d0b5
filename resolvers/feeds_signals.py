"""Resolvers of the member's feed signals and the staff feed report.

A feed item's id is opaque: the relay-style base64 of ``FeedItem:<item key>``
(``encode_item_id(ItemKey.product(12))``). ``decode_item_id`` gives back the key text, or
"" for anything that is not such an id (the service then answers UnknownFeedItem)."""

from __future__ import annotations

import strawberry
from strawberry.relay import from_base64, to_base64

from domain.feeds import report, signals
from domain.feeds.model import ItemKey
from domain.members.services import MemberView
from resolvers.common import attempt
from schema.context import Info
from schema.feeds import inputs as i
from schema.feeds import signal_types as t
from schema.members import types as member_types

ITEM_TYPE = "FeedItem"


def encode_item_id(key: ItemKey | str) -> str:
    return to_base64(ITEM_TYPE, str(key))


def decode_item_id(item_id: str) -> str:
    try:
        type_name, key = from_base64(str(item_id))
    except Exception:
        return ""
    return key if type_name == ITEM_TYPE else ""


def _dismissed(key: str, reason: str, until) -> t.FeedDismissedItem:
    return t.FeedDismissedItem(
        id=strawberry.ID(encode_item_id(key)), reason=t.FeedDismissReason(reason), until=until
    )


def to_settings(s: signals.Settings) -> t.FeedSettings:
    return t.FeedSettings(
        personalised=s.personalised,
        muted_categories=s.muted_categories,
        dismissed_items=[_dismissed(d.key, d.reason, d.until) for d in s.dismissed],
    )


@member_types.feed_settings_of.install
async def feed_settings_of(info: Info, v: MemberView) -> t.FeedSettings:
    return to_settings(await signals.settings_of(v.id))


async def feed_item_dismiss(info: Info, item_id: strawberry.ID, reason: t.FeedDismissReason):
    ctx = info.context
    return await attempt(
        signals.dismiss(ctx.rt, ctx.viewer, decode_item_id(item_id), reason),
        lambda d: t.FeedItemDismissSuccess(item=_dismissed(str(d.key), d.reason, d.until)),
    )


async def feed_item_restore(info: Info, item_id: strawberry.ID):
    return await attempt(
        signals.restore(info.context.viewer, decode_item_id(item_id)),
        lambda done: t.FeedItemRestoreSuccess(id=item_id, restored=done),
    )


async def _mute_answer(info: Info, path: str) -> t.FeedCategoryMuteSuccess:
    member_id = signals.member_of(info.context.viewer)
    return t.FeedCategoryMuteSuccess(
        category=path, settings=to_settings(await signals.settings_of(member_id))
    )


async def feed_category_mute(info: Info, category: str):
    async def call():
        return await _mute_answer(info, await signals.mute(info.context.viewer, category))

    return await attempt(call(), lambda r: r)


async def feed_category_unmute(info: Info, category: str):
    async def call():
        return await _mute_answer(info, await signals.unmute(info.context.viewer, category))

    return await attempt(call(), lambda r: r)


async def feed_preferences_update(info: Info, personalised: bool):
    async def call():
        viewer = info.context.viewer
        await signals.set_personalised(viewer, personalised)
        return t.FeedPreferencesUpdateSuccess(
            settings=to_settings(await signals.settings_of(signals.member_of(viewer)))
        )

    return await attempt(call(), lambda r: r)


async def feed_events_record(info: Info, events: list[i.FeedEventInput]):
    ctx = info.context
    rows = [
        signals.EventIn(
            client_event_id=e.client_event_id,
            item=decode_item_id(e.item_id),
            kind=e.kind,
            event=e.event,
            occurred_at=e.occurred_at,
        )
        for e in events
    ]
    return await attempt(
        signals.record_events(ctx.rt, ctx.viewer, rows),
        lambda r: t.FeedEventsRecordSuccess(
            accepted=r.accepted, duplicates=r.duplicates, skipped=r.skipped
        ),
    )


def _row(r: report.KindRow) -> t.FeedReportRow:
    return t.FeedReportRow(
        kind=r.kind,
        impressions=r.impressions,
        clicks=r.clicks,
        add_to_cart=r.add_to_cart,
        click_through_bp=r.click_through_bp,
        add_to_cart_bp=r.add_to_cart_bp,
        clicked_products=r.clicked_products,
        purchases=r.purchases,
        conversion_bp=r.conversion_bp,
    )


async def feed_report(info: Info, period: i.FeedReportPeriodInput, store_code: str | None = None):
    return await attempt(
        report.feed_report(
            info.context.rt.settings, info.context.viewer, period.start, period.end, store_code
        ),
        lambda r: t.FeedReport(
            start=r.start,
            end=r.end,
            store_code=r.store_code,
            rows=[_row(x) for x in r.rows],
            total=_row(r.total),
        ),
    )
