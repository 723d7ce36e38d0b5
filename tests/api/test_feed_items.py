"""Which feed items a member may name, through the API: dismissing an offer only when
their feed may show it (a coupon they can claim, a campaign not over, a day their points
expire); an event's kind must fit its item's type (else the batch is refused); offers no
longer shown and personal kinds after opting out are skipped and counted; a full batch
checks its items with one query per item type. (Dismiss, mute, preference and event
basics: test_feed_signals.py.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain import clock
from tests.factories import (
    as_member,
    at,
    staff,
    template,
)
from tests.feed_factories import (
    FEED_EVENTS,
    feed_event,
    feed_item_id,
    feed_member,
    feed_product,
    feed_rows,
    plant_products,
)

DISMISS = """mutation($i: ID!, $r: FeedDismissReason!) { feedItemDismiss(itemId: $i, reason: $r) {
  __typename ... on UserError { code message } } }"""
PREFS = """mutation($p: Boolean!) { feedPreferencesUpdate(personalised: $p) { __typename } }"""


CAMPAIGN = """mutation($in: PointsCampaignInput!) { pointsCampaignCreate(input: $in) {
  __typename ... on PointsCampaign { id } } }"""


async def test_offers_are_items_only_when_the_members_feed_may_show_them(gql, app, client, seed):
    """A coupon template the member may claim, a campaign not over, the last usable day
    of the member's expiring points: dismissable. Another member's or a staff-only
    template, an ended campaign, a day none of their points expire: UnknownFeedItem,
    nothing written."""
    from domain.points import jobs
    from domain.points.model import lot_expiry
    from tests.factories import ORDER, order_input, pos_and_member, template

    pos, card, pk = await pos_and_member(gql, client, seed)
    await pos(ORDER, {"in": order_input(card, fen=12_300)})
    gone = lot_expiry(clock.now(), app.state.rt.settings.points_expiry_extra_years)
    last = date(gone.astimezone(clock.SHANGHAI).year - 1, 12, 31)
    at(datetime(last.year, 12, 10, 4, 0, tzinfo=UTC))  # three weeks before: released
    await jobs.release_due()
    today = clock.business_date()
    admin = await staff(gql)
    ids = []
    for starts, ends in ((today, today), (today - timedelta(days=9), today - timedelta(days=2))):
        body = {"name": "会员日", "multiplierPct": 200}
        body |= {"startsOn": starts.isoformat(), "endsOn": ends.isoformat()}
        made = (await admin(CAMPAIGN, {"in": body}))["data"]["pointsCampaignCreate"]
        assert made["__typename"] == "PointsCampaign", made
        ids.append(made["id"])
    from strawberry.relay import from_base64

    current, ended = (from_base64(i)[1] for i in ids)
    claimable = await template(gql, claimable=True)
    staff_only = await template(gql)  # issued by staff, never claimable
    gold_only = await template(gql, claimable=True, tiers=["GOLD"])
    me = await as_member(gql, app, pk)

    for key in (f"coupon:{claimable}", f"campaign:{current}", f"points:{last.isoformat()}"):
        r = (await me(DISMISS, {"i": feed_item_id(key), "r": "NOT_INTERESTED"}))["data"]
        assert r["feedItemDismiss"]["__typename"] == "FeedItemDismissSuccess", (key, r)
    before = await feed_rows(pk)
    assert before[0] == 3
    other_day = (last - timedelta(days=1)).isoformat()
    for key in (
        f"coupon:{staff_only}",
        f"coupon:{gold_only}",
        f"campaign:{ended}",
        f"points:{other_day}",
        "points:2026-12-30",
    ):
        r = (await me(DISMISS, {"i": feed_item_id(key), "r": "NOT_INTERESTED"}))["data"]
        assert r["feedItemDismiss"]["__typename"] == "UnknownFeedItemError", (key, r)
    assert await feed_rows(pk) == before


EVENTS_FIELD = """mutation($e: [FeedEventInput!]!) { feedEventsRecord(events: $e) {
  __typename ... on FeedEventsRecordSuccess { accepted duplicates skipped }
  ... on InvalidInputError { field } } }"""


def _offer_event(cid: str, key: str, kind: str, event: str = "IMPRESSION") -> dict:
    return feed_event(cid, 0, event, kind) | {"itemId": feed_item_id(key)}


async def test_an_event_kind_must_fit_its_item_or_the_batch_is_refused(gql, app):
    me, pk = await feed_member(gql, app)
    pid = await feed_product(gql, "生鲜/水果/葡萄")
    code = await template(gql, claimable=True)
    await me(FEED_EVENTS, {"e": [feed_event("seed", pid)]})
    before = await feed_rows(pk)
    for i, bad in enumerate(
        (
            feed_event("b-1", pid, kind="COUPON"),
            feed_event("b-2", pid, kind="POINTS_EXPIRING"),
            _offer_event("b-3", f"coupon:{code}", "REPLENISH"),
            _offer_event("b-4", f"coupon:{code}", "CAMPAIGN"),
            _offer_event("b-5", "points:2026-12-31", "COUPON"),
            _offer_event("b-6", "campaign:1", "POPULAR_NEAR_YOU"),
        )
    ):
        batch = [feed_event(f"ok-{i}", pid), bad]
        r = (await me(EVENTS_FIELD, {"e": batch}))["data"]["feedEventsRecord"]
        assert r["__typename"] == "InvalidInputError", (bad, r)
        assert r["field"] == "events.1.kind", r
    assert await feed_rows(pk) == before
    good = [
        feed_event("g-1", pid, kind="SEASONAL"),
        _offer_event("g-2", f"coupon:{code}", "COUPON", "CLICK"),
    ]
    r = (await me(FEED_EVENTS, {"e": good}))["data"]["feedEventsRecord"]
    assert (r["accepted"], r["skipped"]) == (2, 0), r


async def test_events_of_offers_not_in_the_feed_and_personal_kinds_after_opting_out_are_skipped(
    gql, app
):
    """An offer the member's feed does not show (never theirs, or claimed / ended /
    spent since) is skipped and counted, the batch's other events recorded; so are events
    of personal kinds once the member turned personalisation off."""
    me, pk = await feed_member(gql, app)
    pid = await feed_product(gql, "生鲜/水果/李子")
    staff_only = await template(gql)
    batch = [
        feed_event("p-1", pid, kind="REPLENISH"),
        _offer_event("p-2", f"coupon:{staff_only}", "COUPON"),
        _offer_event("p-3", "points:2026-12-31", "POINTS_EXPIRING"),
        _offer_event("p-4", "campaign:999999", "CAMPAIGN"),
    ]
    r = (await me(FEED_EVENTS, {"e": batch}))["data"]["feedEventsRecord"]
    assert (r["accepted"], r["duplicates"], r["skipped"]) == (1, 0, 3), r

    await me(PREFS, {"p": False})
    batch = [
        feed_event("q-1", pid, kind="SIMILAR_MEMBERS"),
        feed_event("q-2", pid, "CLICK", kind="BOUGHT_TOGETHER"),
        feed_event("q-3", pid, kind="POPULAR_NEAR_YOU"),
        feed_event("q-4", pid, kind="SEASONAL"),
    ]
    r = (await me(FEED_EVENTS, {"e": batch}))["data"]["feedEventsRecord"]
    assert (r["accepted"], r["duplicates"], r["skipped"]) == (2, 0, 2), r
    assert (await feed_rows(pk))[3] == 3


async def test_a_full_event_batch_checks_its_items_in_one_query_per_item_type(gql, app):
    """100 events of 100 products and offers: the items are checked with one query per
    item type (it was one query per distinct item, up to 100 in a row)."""
    from tests.statements import statements

    me, pk = await feed_member(gql, app)
    ids = await plant_products(*[(f"批量{n}", "零食/批量") for n in range(96)])
    code = await template(gql, claimable=True)
    batch = [feed_event(f"n-{pid}", pid) for pid in ids]
    batch += [
        _offer_event("o-1", f"coupon:{code}", "COUPON"),
        _offer_event("o-2", "campaign:999999", "CAMPAIGN"),
        _offer_event("o-3", "points:2026-12-31", "POINTS_EXPIRING"),
        _offer_event("o-4", "points:2026-12-30", "POINTS_EXPIRING"),
    ]
    with statements() as seen:
        r = (await me(FEED_EVENTS, {"e": batch}))["data"]["feedEventsRecord"]
    assert (r["accepted"], r["skipped"]) == (97, 3), r
    assert len(seen) <= 20, seen
    assert (await feed_rows(pk))[3] == 97
