"""The member's feed signals through the API: dismiss / restore, category mutes, the
personalisation choice and feed events (the staff report: test_feed_report.py), and that
each sticks in the served ``me.feed`` at once (a cached feed is never served after a
signal). Every refusal leaves the member's signal rows and feed version as they were."""

from __future__ import annotations

from datetime import timedelta

from domain import clock
from domain.audit.tables import AuditEntry
from tests.conftest import partner_token, sign_in_staff, wait_for
from tests.factories import (
    as_member,
    staff,
)
from tests.feed_factories import (
    FEED,
    FEED_EVENTS,
    feed_event,
    feed_item_id,
    feed_member,
    feed_product,
    feed_rows,
    plant_feed,
    plant_popular,
    plant_products,
)

DISMISS = """mutation($i: ID!, $r: FeedDismissReason!) { feedItemDismiss(itemId: $i, reason: $r) {
  __typename ... on FeedItemDismissSuccess { item { id reason until } }
  ... on UserError { code message } ... on UnknownFeedItemError { field } } }"""
RESTORE = """mutation($i: ID!) { feedItemRestore(itemId: $i) {
  __typename ... on FeedItemRestoreSuccess { id restored } ... on UserError { code } } }"""
MUTE = """mutation($c: String!) { feedCategoryMute(category: $c) {
  __typename ... on FeedCategoryMuteSuccess { category settings { mutedCategories } }
  ... on UserError { code } } }"""
UNMUTE = """mutation($c: String!) { feedCategoryUnmute(category: $c) {
  __typename ... on FeedCategoryMuteSuccess { category settings { mutedCategories } }
  ... on UserError { code } } }"""
PREFS = """mutation($p: Boolean!) { feedPreferencesUpdate(personalised: $p) {
  __typename ... on FeedPreferencesUpdateSuccess { settings { personalised } }
  ... on UserError { code } } }"""
SETTINGS = """{ me { feedSettings { personalised mutedCategories
  dismissedItems { id reason until } } } }"""


async def test_dismiss_is_idempotent_extends_until_and_restores(gql, app):
    me, pk = await feed_member(gql, app)
    pid = await feed_product(gql, "生鲜/乳品/鲜牛奶")
    item = feed_item_id(f"product:{pid}")
    assert (await feed_rows(pk))[4] is None  # no feed row yet

    first = (await me(DISMISS, {"i": item, "r": "NOT_INTERESTED"}))["data"]["feedItemDismiss"]
    assert first["__typename"] == "FeedItemDismissSuccess", first
    assert first["item"]["id"] == item and first["item"]["reason"] == "NOT_INTERESTED"
    rows = await feed_rows(pk)
    assert rows[0] == 1 and rows[4] == 1  # touch created the member's feed row

    clock.advance(timedelta(days=2))
    me = await as_member(gql, app, pk)  # a token of the new day
    again = (await me(DISMISS, {"i": item, "r": "ALREADY_BOUGHT"}))["data"]["feedItemDismiss"]
    assert again["item"]["reason"] == "ALREADY_BOUGHT"
    assert again["item"]["until"] > first["item"]["until"]
    rows = await feed_rows(pk)
    assert rows[0] == 1 and rows[4] == 2  # one row, version bumped again

    settings = (await me(SETTINGS))["data"]["me"]["feedSettings"]
    assert settings["personalised"] is True
    assert [d["id"] for d in settings["dismissedItems"]] == [item]
    until = clock.now() + timedelta(days=app.state.settings.feed_dismiss_days)
    assert settings["dismissedItems"][0]["until"].startswith(until.date().isoformat())

    r = (await me(RESTORE, {"i": item}))["data"]["feedItemRestore"]
    assert r == {"__typename": "FeedItemRestoreSuccess", "id": item, "restored": True}
    assert (await feed_rows(pk))[0] == 0
    r = (await me(RESTORE, {"i": item}))["data"]["feedItemRestore"]
    assert r["restored"] is False
    assert (await me(SETTINGS))["data"]["me"]["feedSettings"]["dismissedItems"] == []


async def test_dismissal_lapses_after_the_dismiss_days(gql, app):
    """The item is out of me.feed while dismissed, and back in it (and gone from the
    settings) once FEED_DISMISS_DAYS have passed."""
    me, pk = await feed_member(gql, app)
    (pid,) = await plant_products(("抽纸", "日用/纸品"))
    await plant_popular("CHAIN", 0, [pid])
    assert "抽纸" in await _feed(me)
    await me(DISMISS, {"i": feed_item_id(f"product:{pid}"), "r": "NOT_RELEVANT"})
    assert "抽纸" not in await _feed(me)
    clock.advance(timedelta(days=app.state.settings.feed_dismiss_days, seconds=-1))
    me = await as_member(gql, app, pk)
    assert "抽纸" not in await _feed(me)  # a second before it lapses
    clock.advance(timedelta(seconds=2))
    me = await as_member(gql, app, pk)
    assert (await me(SETTINGS))["data"]["me"]["feedSettings"]["dismissedItems"] == []
    # 90 days on, the cached answer's FEED_CACHE_TTL_S (real seconds, which the test's
    # clock does not move) has long ended: the feed is ranked again
    await app.state.rt.feed_cache.forget([pk])
    assert "抽纸" in await _feed(me)


async def test_unknown_or_malformed_items_are_refused_and_write_nothing(gql, app):
    me, pk = await feed_member(gql, app)
    pid = await feed_product(gql, "日用/纸品")
    await me(DISMISS, {"i": feed_item_id(f"product:{pid}"), "r": "NOT_INTERESTED"})
    before = await feed_rows(pk)
    bad = [
        "not-an-id",
        feed_item_id("product:999999999"),  # no such product
        feed_item_id("product:abc"),
        feed_item_id(f"product:0{pid}"),  # not the canonical key of an existing product
        feed_item_id("product:²"),
        feed_item_id("campaign:٣"),
        feed_item_id("product:99999999999999"),
        feed_item_id("nope:1"),
        feed_item_id("coupon:NO-SUCH-TEMPLATE"),
        feed_item_id("campaign:999999"),
        feed_item_id("points:2026-02-30"),
        feed_item_id("points:2026-12-31"),  # no points of the member expire that day
        feed_item_id("product"),
        "TWVtYmVyOjE=",  # a Member global id, not a feed item
    ]
    for item in bad:
        r = (await me(DISMISS, {"i": item, "r": "NOT_INTERESTED"}))["data"]["feedItemDismiss"]
        assert r["__typename"] == "UnknownFeedItemError", (item, r)
        assert r["code"] == "UNKNOWN_FEED_ITEM" and r["field"] == "itemId"
    r = (await me(RESTORE, {"i": "not-an-id"}))["data"]["feedItemRestore"]
    assert r["__typename"] == "UnknownFeedItemError"
    assert await feed_rows(pk) == before


async def test_mute_and_unmute_a_category(gql, app):
    me, pk = await feed_member(gql, app)
    await feed_product(gql, "零食/饼干/苏打饼干")
    r = (await me(MUTE, {"c": " 零食/饼干/ "}))["data"]["feedCategoryMute"]
    assert r["__typename"] == "FeedCategoryMuteSuccess", r
    assert r["category"] == "零食/饼干" and r["settings"]["mutedCategories"] == ["零食/饼干"]
    version = (await feed_rows(pk))[4]
    again = (await me(MUTE, {"c": "零食/饼干"}))["data"]["feedCategoryMute"]
    assert again["settings"]["mutedCategories"] == ["零食/饼干"]  # still one
    assert (await feed_rows(pk))[1] == 1

    before = await feed_rows(pk)
    for unknown in ("零食/饼", "零", "没有这个分类", "/", "零食//饼干"):
        r = (await me(MUTE, {"c": unknown}))["data"]["feedCategoryMute"]
        assert r["__typename"] == "UnknownCategoryError", (unknown, r)
    r = (await me(UNMUTE, {"c": "没有这个分类"}))["data"]["feedCategoryUnmute"]
    assert r["__typename"] == "UnknownCategoryError"
    assert await feed_rows(pk) == before

    r = (await me(UNMUTE, {"c": "零食/饼干"}))["data"]["feedCategoryUnmute"]
    assert r["settings"]["mutedCategories"] == []
    rows = await feed_rows(pk)
    assert rows[1] == 0 and rows[4] is not None and version is not None and rows[4] > version


async def test_personalisation_off_is_recorded_audited_and_bumps_the_feed(gql, app):
    me, pk = await feed_member(gql, app)
    audits = await AuditEntry.filter(action="feed.preference", target_id=str(pk)).count()
    r = (await me(PREFS, {"p": False}))["data"]["feedPreferencesUpdate"]
    assert r == {"__typename": "FeedPreferencesUpdateSuccess", "settings": {"personalised": False}}
    rows = await feed_rows(pk)
    assert rows[2] == 1 and rows[4] == 1
    assert (await me(SETTINGS))["data"]["me"]["feedSettings"]["personalised"] is False
    await me(PREFS, {"p": False})  # no change: no second audit entry
    assert (
        await AuditEntry.filter(action="feed.preference", target_id=str(pk)).count() == audits + 1
    )
    await me(PREFS, {"p": True})
    assert (await me(SETTINGS))["data"]["me"]["feedSettings"]["personalised"] is True
    assert (await feed_rows(pk))[2] == 1  # one row per member
    assert (
        await AuditEntry.filter(action="feed.preference", target_id=str(pk)).count() == audits + 2
    )


async def test_events_are_idempotent_per_client_event_id(gql, app):
    me, pk = await feed_member(gql, app)
    pid = await feed_product(gql, "生鲜/水果/苹果")
    batch = [
        feed_event("e-1", pid),
        feed_event("e-2", pid, "CLICK"),
        feed_event("e-2", pid, "CLICK"),
    ]
    batch.append(feed_event("e-3", pid, "ADD_TO_CART"))
    r = (await me(FEED_EVENTS, {"e": batch}))["data"]["feedEventsRecord"]
    assert r == {
        "__typename": "FeedEventsRecordSuccess",
        "accepted": 3,
        "duplicates": 1,
        "skipped": 0,
    }
    version = (await feed_rows(pk))[4]
    r = (await me(FEED_EVENTS, {"e": batch}))["data"]["feedEventsRecord"]
    assert (r["accepted"], r["duplicates"], r["skipped"]) == (0, 4, 0)
    rows = await feed_rows(pk)
    assert rows[3] == 3 and rows[4] == version  # events change no feed: no version bump
    r = (await me(FEED_EVENTS, {"e": []}))["data"]["feedEventsRecord"]
    assert (r["accepted"], r["duplicates"], r["skipped"]) == (0, 0, 0)


async def test_events_out_of_the_window_are_skipped_and_counted(gql, app):
    me, pk = await feed_member(gql, app)
    pid = await feed_product(gql, "生鲜/水果/梨")
    now = clock.now()
    batch = [
        feed_event("old", pid, at=now - timedelta(days=30, seconds=1)),
        feed_event("future", pid, at=now + timedelta(minutes=6)),
        feed_event("edge", pid, at=now - timedelta(days=29)),
        feed_event("skew", pid, at=now + timedelta(minutes=4)),
    ]
    r = (await me(FEED_EVENTS, {"e": batch}))["data"]["feedEventsRecord"]
    assert (r["accepted"], r["duplicates"], r["skipped"]) == (2, 0, 2)
    assert (await feed_rows(pk))[3] == 2


async def test_bad_event_batches_write_nothing(gql, app):
    me, pk = await feed_member(gql, app)
    pid = await feed_product(gql, "生鲜/水果/桃")
    await me(FEED_EVENTS, {"e": [feed_event("seed", pid)]})
    before = await feed_rows(pk)
    limit = app.state.settings.feed_events_max
    many = [feed_event(f"m-{n}", pid) for n in range(limit + 1)]
    r = (await me(FEED_EVENTS, {"e": many}))["data"]["feedEventsRecord"]
    assert r["__typename"] == "TooManyFeedEventsError" and str(limit) in r["message"]
    unknown = [feed_event("u-1", pid), feed_event("u-2", 999_999_999)]
    r = (await me(FEED_EVENTS, {"e": unknown}))["data"]["feedEventsRecord"]
    assert r["__typename"] == "UnknownFeedItemError", r
    wrong_kind = [feed_event("k-1", pid) | {"event": "PURCHASE"}]
    r = await me(FEED_EVENTS, {"e": wrong_kind})
    assert r.get("data") is None and "PURCHASE" in r["errors"][0]["message"]
    wrong_item_kind = [feed_event("k-2", pid) | {"kind": "NOPE"}]
    assert (await me(FEED_EVENTS, {"e": wrong_item_kind})).get("data") is None
    too_long = [feed_event("x" * 41, pid)]
    assert (await me(FEED_EVENTS, {"e": too_long}))["errors"][0]["extensions"]["code"] == (
        "INVALID_INPUT"
    )
    assert await feed_rows(pk) == before
    assert (await me(FEED_EVENTS, {"e": [feed_event("exact", pid)] * limit}))["data"][
        "feedEventsRecord"
    ]["accepted"] == 1


async def test_only_the_member_changes_their_feed(gql, app, client, seed):
    me, pk = await feed_member(gql, app)
    pid = await feed_product(gql, "日用/清洁")
    item = feed_item_id(f"product:{pid}")
    before = await feed_rows(pk)
    admin = await staff(gql)
    store_staff = await sign_in_staff(gql, "sh01@test.cn")
    partner = gql.as_(await partner_token(client, seed["partner"]))
    calls = [
        (DISMISS, {"i": item, "r": "NOT_INTERESTED"}),
        (RESTORE, {"i": item}),
        (MUTE, {"c": "日用"}),
        (UNMUTE, {"c": "日用"}),
        (PREFS, {"p": False}),
        (FEED_EVENTS, {"e": [feed_event("s-1", pid)]}),
    ]
    for who, code in ((admin, "FORBIDDEN"), (store_staff, "FORBIDDEN"), (partner, "FORBIDDEN")):
        for doc, variables in calls:
            r = await who(doc, variables)
            assert r["errors"][0]["extensions"]["code"] == code, (doc, r)
    for doc, variables in calls:
        r = await gql(doc, variables)
        assert r["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # staff cannot read a member's feed settings either (the member's own business)
    r = await admin(
        "query($id: ID!) { member(id: $id) { feedSettings { personalised } } }",
        {"id": f"{(await me('{ me { id } }'))['data']['me']['id']}"},
    )
    assert r["data"]["member"]["feedSettings"] is None
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await feed_rows(pk) == before
    # another member's signals are theirs: mine are untouched by theirs
    other, other_pk = await feed_member(gql, app)
    await other(DISMISS, {"i": item, "r": "NOT_INTERESTED"})
    assert await feed_rows(pk) == before and (await feed_rows(other_pk))[0] == 1


async def _feed(member) -> dict[str, dict]:
    """The member's feed, product suggestions by product name."""
    r = await member(FEED, {"first": 50})
    assert "errors" not in r, r
    return {
        e["node"]["product"]["name"]: e["node"]
        for e in r["data"]["me"]["feed"]["edges"]
        if e["node"]["__typename"] == "ProductSuggestion"
    }


async def test_signals_stick_in_the_served_feed_and_undo_at_once(gql, app):
    from domain.feeds.model import PERSONAL_KINDS, Candidate, FeedKind

    me, pk = await feed_member(gql, app)
    tea, cake, nuts = await plant_products(
        ("乌龙茶", "饮料/茶"), ("芝士蛋糕", "烘焙/蛋糕"), ("腰果", "零食/坚果")
    )
    planted = [
        Candidate(tea, FeedKind.SIMILAR_MEMBERS, 3.0, {"similarity": 3.0}, None),
        Candidate(cake, FeedKind.SEASONAL, 2.0, {"seasonal": 2.0}, None),
        Candidate(nuts, FeedKind.SIMILAR_MEMBERS, 1.0, {"similarity": 1.0}, None),
    ]
    await plant_feed(pk, candidates=planted)
    await plant_popular("CHAIN", 0, [cake])  # what a member who opts out still sees
    shown = await _feed(me)  # read once: the answer is cached from here on
    assert {"乌龙茶", "芝士蛋糕", "腰果"} <= set(shown)
    assert shown["乌龙茶"]["id"] == feed_item_id(f"product:{tea}")  # the one id codec

    r = await me(DISMISS, {"i": shown["乌龙茶"]["id"], "r": "NOT_INTERESTED"})
    assert r["data"]["feedItemDismiss"]["__typename"] == "FeedItemDismissSuccess"
    assert "乌龙茶" not in await _feed(me)
    await me(MUTE, {"c": "零食"})
    assert set(await _feed(me)) & {"乌龙茶", "腰果"} == set()

    await me(PREFS, {"p": False})
    after_off = (await feed_rows(pk))[4]
    off = await _feed(me)
    assert not {n["kind"] for n in off.values()} & {k.value for k in PERSONAL_KINDS}
    assert set(off) == {"芝士蛋糕"}  # popularity only

    await me(PREFS, {"p": True})

    # each change refreshes the document through the workers (off: emptied; on: rebuilt
    # from the member's history, none here): once both have run (the switch on and the
    # two refreshes each bump the version), planted again as a refresh would write it
    async def refreshed() -> bool:
        return (await feed_rows(pk))[4] >= after_off + 3

    await wait_for(refreshed)
    await plant_feed(pk, candidates=planted)
    await me(UNMUTE, {"c": "零食"})
    await me(RESTORE, {"i": feed_item_id(f"product:{tea}")})
    back = await _feed(me)
    assert {"乌龙茶", "芝士蛋糕", "腰果"} <= set(back)
    # a refused signal changes nothing: the same feed, from the same version
    version = (await feed_rows(pk))[4]
    await me(DISMISS, {"i": feed_item_id("product:999999999"), "r": "NOT_INTERESTED"})
    assert (await feed_rows(pk))[4] == version and set(await _feed(me)) == set(back)


async def test_concurrent_signals_of_a_new_member_each_count_once(gql, app):
    """Two dismissals racing to create the member's feed row, and the same event batch
    sent twice at once: every call answers, one row each, the events written once."""
    import asyncio

    me, pk = await feed_member(gql, app)
    a, b = await plant_products(("柠檬茶", "饮料/茶"), ("豆浆", "饮料/豆奶"))
    answers = await asyncio.gather(
        me(DISMISS, {"i": feed_item_id(f"product:{a}"), "r": "NOT_INTERESTED"}),
        me(DISMISS, {"i": feed_item_id(f"product:{b}"), "r": "NOT_INTERESTED"}),
        me(DISMISS, {"i": feed_item_id(f"product:{a}"), "r": "ALREADY_BOUGHT"}),
    )
    assert all(
        r["data"]["feedItemDismiss"]["__typename"] == "FeedItemDismissSuccess" for r in answers
    )
    dismissals, _m, _p, _e, version = await feed_rows(pk)
    assert dismissals == 2 and version == 3  # the row was created once, then bumped twice
    batch = [feed_event(f"race-{n}", a) for n in range(20)]
    answers = await asyncio.gather(me(FEED_EVENTS, {"e": batch}), me(FEED_EVENTS, {"e": batch}))
    counts = [r["data"]["feedEventsRecord"] for r in answers]
    assert sum(c["accepted"] for c in counts) == 20
    assert sum(c["duplicates"] for c in counts) == 20
    assert (await feed_rows(pk))[3] == 20
