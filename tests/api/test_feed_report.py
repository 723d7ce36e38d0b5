"""The staff feed report through the API: counts per item kind and the totals, rates in
basis points, purchase conversion within 7 days after a click, and the org scope (HQ,
region, store, analysts; a store outside the scope refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain import clock
from tests.conftest import GQL, partner_token, sign_in_staff
from tests.factories import (
    ORDER,
    as_member,
    at,
    member_gid,
    order_input,
    staff,
)
from tests.feed_factories import (
    FEED_EVENTS,
    feed_event,
    feed_member,
    feed_product,
)

REPORT = """query($f: Date!, $t: Date!, $s: String) {
  feedReport(period: {from: $f, to: $t}, storeCode: $s) {
  __typename ... on FeedReport { from to storeCode
    rows { kind impressions clicks addToCart clickThroughBp addToCartBp
           clickedProducts purchases conversionBp }
    total { kind impressions clicks addToCart clickThroughBp clickedProducts purchases
            conversionBp } }
  ... on UserError { code } } }"""


async def _buy(gql: GQL, client, seed, pk: int, pid: int, store: str = "SH01") -> None:
    from domain.catalog.tables import Product

    sku = (await Product.get(id=pid)).sku
    pos = gql.as_(await partner_token(client, seed["partner"]))
    o = order_input("", storeCode=store)
    o["lines"] = [{"sku": sku, "quantity": 1, "unitPriceFen": 1_000}]
    o["totalPaidFen"] = 1_000
    o["member"] = {"memberId": member_gid(pk)}
    r = await pos(ORDER, {"in": o})
    assert r["data"]["orderCreate"]["__typename"] == "OrderCreateSuccess", r


async def test_feed_report_counts_rates_conversion_and_scope(gql, app, client, seed):
    at(datetime(2026, 6, 10, 2, tzinfo=UTC))  # a day of its own: no other test's events
    sh, sh_pk = await feed_member(gql, app, "SH01")
    gz, gz_pk = await feed_member(gql, app, "GZ01")
    milk = await feed_product(gql, "生鲜/乳品/酸奶")
    bread = await feed_product(gql, "烘焙/面包")
    today = clock.business_date().isoformat()
    ten = [feed_event(f"i-{n}", milk) for n in range(10)]
    sh_batch = [*ten, feed_event("c-1", milk, "CLICK"), feed_event("c-2", milk, "CLICK")]
    sh_batch += [feed_event("a-1", milk, "ADD_TO_CART"), feed_event("c-3", bread, "CLICK")]
    assert (await sh(FEED_EVENTS, {"e": sh_batch}))["data"]["feedEventsRecord"]["accepted"] == 14
    gz_batch = [
        feed_event("g-1", bread, kind="POPULAR_NEAR_YOU"),
        feed_event("g-2", bread, "CLICK", "POPULAR_NEAR_YOU"),
    ]
    assert (await gz(FEED_EVENTS, {"e": gz_batch}))["data"]["feedEventsRecord"]["accepted"] == 2
    clock.advance(timedelta(days=2))
    await _buy(gql, client, seed, sh_pk, milk)  # bought 2 days after the click: converts
    await _buy(gql, client, seed, gz_pk, milk)  # not clicked by that member: no conversion

    def rows(r):
        return {x["kind"]: x for x in r["rows"]}

    hq = (await (await staff(gql))(REPORT, {"f": today, "t": today}))["data"]["feedReport"]
    assert hq["__typename"] == "FeedReport", hq
    rep = rows(hq)["REPLENISH"]
    assert (rep["impressions"], rep["clicks"], rep["addToCart"]) == (10, 3, 1)
    assert rep["clickThroughBp"] == 3000 and rep["addToCartBp"] == 1000
    assert (rep["clickedProducts"], rep["purchases"], rep["conversionBp"]) == (2, 1, 5000)
    pop = rows(hq)["POPULAR_NEAR_YOU"]
    assert (pop["impressions"], pop["clicks"], pop["purchases"]) == (1, 1, 0)
    assert hq["total"]["kind"] is None
    assert (hq["total"]["impressions"], hq["total"]["clicks"]) == (11, 4)
    assert hq["total"]["clickThroughBp"] == 3636  # 4 / 11, rounded half up
    assert (hq["total"]["clickedProducts"], hq["total"]["purchases"]) == (3, 1)

    sh01 = await sign_in_staff(gql, "sh01@test.cn")  # their store's region (EAST)
    mine = (await sh01(REPORT, {"f": today, "t": today}))["data"]["feedReport"]
    assert mine["total"]["impressions"] == 10 and rows(mine)["POPULAR_NEAR_YOU"]["clicks"] == 0
    south = await sign_in_staff(gql, "south.agent@test.cn")
    theirs = (await south(REPORT, {"f": today, "t": today}))["data"]["feedReport"]
    assert theirs["total"]["impressions"] == 1 and theirs["total"]["clicks"] == 1
    one = (await south(REPORT, {"f": today, "t": today, "s": "GZ01"}))["data"]["feedReport"]
    assert one["storeCode"] == "GZ01" and one["total"]["clicks"] == 1
    refused = (await south(REPORT, {"f": today, "t": today, "s": "SH01"}))["data"]
    assert (
        refused["feedReport"]["code"] == "FORBIDDEN"
        or refused["feedReport"]["__typename"] == "PermissionDeniedError"
    )
    assert (await sh01(REPORT, {"f": today, "t": today, "s": "GZ01"}))["data"]["feedReport"][
        "__typename"
    ] == "PermissionDeniedError"
    analyst = await sign_in_staff(gql, "analyst@test.cn")
    assert (await analyst(REPORT, {"f": today, "t": today}))["data"]["feedReport"]["total"][
        "clicks"
    ] == 4

    admin = await staff(gql)
    yesterday = (clock.business_date() - timedelta(days=5)).isoformat()
    empty = (await admin(REPORT, {"f": yesterday, "t": yesterday}))["data"]["feedReport"]
    assert empty["total"]["impressions"] == 0 and empty["total"]["clickThroughBp"] == 0
    bad = (await admin(REPORT, {"f": today, "t": yesterday}))["data"]["feedReport"]
    assert bad["__typename"] == "InvalidInputError"
    nowhere = (await admin(REPORT, {"f": today, "t": today, "s": "NOPE"}))["data"]
    assert nowhere["feedReport"]["__typename"] == "NotFoundError"
    sh = await as_member(gql, app, sh_pk)
    r = await sh(REPORT, {"f": today, "t": today})
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_conversion_needs_the_purchase_within_seven_days_after_the_click(
    gql, app, client, seed
):
    at(datetime(2026, 6, 20, 2, tzinfo=UTC))
    me, pk = await feed_member(gql, app)
    pid = await feed_product(gql, "粮油/大米")
    day = clock.business_date().isoformat()
    await _buy(gql, client, seed, pk, pid)  # before the click: does not count
    clock.advance(timedelta(minutes=1))
    await me(FEED_EVENTS, {"e": [feed_event("late-1", pid, "CLICK", "SEASONAL")]})
    clock.advance(timedelta(days=7, minutes=1))
    await _buy(gql, client, seed, pk, pid)  # just past the window
    r = (await (await staff(gql))(REPORT, {"f": day, "t": day}))["data"]["feedReport"]
    seasonal = {x["kind"]: x for x in r["rows"]}["SEASONAL"]
    assert (seasonal["clickedProducts"], seasonal["purchases"]) == (1, 0)


async def test_store_staff_see_their_region_by_default_and_their_store_by_setting(
    gql, app, monkeypatch
):
    """STORE_STAFF_SCOPE (the members' scope rule) holds for the report too: by default
    (region) store staff count every store of their store's region and may name another
    store of it; with "store" only their own store. Outside: refused, nothing counted."""
    at(datetime(2026, 6, 12, 2, tzinfo=UTC))  # a day of its own
    sh1, _ = await feed_member(gql, app, "SH01")
    sh2, _ = await feed_member(gql, app, "SH02")
    gz, _ = await feed_member(gql, app, "GZ01")
    pid = await feed_product(gql, "生鲜/水果/橙子")
    for member, n in ((sh1, 1), (sh2, 2), (gz, 4)):
        batch = [feed_event(f"r-{k}", pid) for k in range(n)]
        assert (await member(FEED_EVENTS, {"e": batch}))["data"]["feedEventsRecord"][
            "accepted"
        ] == n
    day = clock.business_date().isoformat()

    async def report(who, store=None):
        return (await who(REPORT, {"f": day, "t": day, "s": store}))["data"]["feedReport"]

    assert app.state.rt.settings.store_staff_scope == "region"
    sh01 = await sign_in_staff(gql, "sh01@test.cn")
    assert (await report(sh01))["total"]["impressions"] == 3  # SH01 and SH02, not GZ01
    other = await report(sh01, "SH02")
    assert other["storeCode"] == "SH02" and other["total"]["impressions"] == 2
    assert (await report(sh01, "GZ01"))["__typename"] == "PermissionDeniedError"

    rt = app.state.rt
    monkeypatch.setattr(
        rt, "settings", rt.settings.model_copy(update={"store_staff_scope": "store"})
    )
    assert (await report(sh01))["total"]["impressions"] == 1
    assert (await report(sh01, "SH01"))["total"]["impressions"] == 1
    assert (await report(sh01, "SH02"))["__typename"] == "PermissionDeniedError"
    hq = await staff(gql)
    assert (await report(hq))["total"]["impressions"] == 7  # the setting is store staff's


async def test_the_report_reads_in_a_few_statements_whatever_the_kinds(gql, app):
    """The counts are one GROUP BY (it was one COUNT per kind and event type, 27), the
    clicks a page of members at a time, grouped to first clicks in SQL."""
    from tests.statements import statements

    at(datetime(2026, 6, 14, 2, tzinfo=UTC))
    me, _ = await feed_member(gql, app, "SH01")
    pid = await feed_product(gql, "生鲜/水果/柚子")
    kinds = ("REPLENISH", "SEASONAL", "POPULAR_NEAR_YOU", "SIMILAR_MEMBERS")
    batch = [feed_event(f"s-{k}-{e}", pid, e, k) for k in kinds for e in ("IMPRESSION", "CLICK")]
    assert (await me(FEED_EVENTS, {"e": batch}))["data"]["feedEventsRecord"]["accepted"] == 8
    day = clock.business_date().isoformat()
    admin = await staff(gql)
    with statements() as seen:
        r = (await admin(REPORT, {"f": day, "t": day}))["data"]["feedReport"]
    assert r["total"]["clicks"] == 4 and r["total"]["clickedProducts"] == 4
    events = [q for q in seen if "feed_events" in q]
    assert len(events) <= 4, events  # counts, a page of members, their first clicks, the end
