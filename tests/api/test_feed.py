"""The member's feed through the API: planted complements and a due replenishment with
their reasons, the category cap, dismissed items and muted categories kept out,
personalisation off, cold start (home store, region, chain), stable pages, who may read
whose feed, staff score parts, bad input, and Product.boughtTogether."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from strawberry.relay import to_base64

from domain import clock
from domain.audit.tables import AuditEntry
from domain.catalog.tables import Product
from domain.feeds.model import PERSONAL_KINDS, Candidate, FeedKind, Rhythm
from domain.points import jobs
from domain.points.model import lot_expiry
from tests.conftest import sign_in_staff, wait_for
from tests.factories import (
    CLAIM,
    ORDER,
    as_member,
    at,
    new_phone,
    order_input,
    partner,
    pk_of,
    pos_and_member,
    register,
    template,
)
from tests.feed_factories import (
    FEED,
    beer_and_chips_chain,
    feed_order,
    new_store,
    plant_dismissal,
    plant_feed,
    plant_mute,
    plant_popular,
    plant_preference,
    plant_products,
    plant_rule,
    store_ids,
)

STAFF_FEED = """query($id: ID!, $first: Int) { member(id: $id) { feed(first: $first) {
  edges { node { ... on FeedEntry { id kind reason scoreParts { name value } } } } } } }"""


async def new_member(gql, client, seed, app, **fields) -> tuple[int, str, object]:
    pos = await partner(gql, client, seed)
    r = await register(pos, new_phone(), **fields)
    gid = r["member"]["id"]
    return pk_of(gid), gid, await as_member(gql, app, pk_of(gid))


async def feed_of(member, first: int = 50, after: str | None = None) -> dict:
    r = await member(FEED, {"first": first, "after": after})
    assert "errors" not in r, r
    return r["data"]["me"]["feed"]


def nodes(feed: dict) -> list[dict]:
    return [e["node"] for e in feed["edges"]]


def products(feed: dict) -> list[dict]:
    return [n for n in nodes(feed) if n["__typename"] == "ProductSuggestion"]


def by_name(feed: dict) -> dict[str, dict]:
    return {n["product"]["name"]: n for n in products(feed)}


async def planted(gql, client, seed, app):
    """A member who buys milk and eggs: bread goes with milk, eggs are due again."""
    milk, bread, eggs, apple = await plant_products(
        ("鲜牛奶", "乳品/鲜奶"),
        ("全麦面包", "烘焙/面包"),
        ("土鸡蛋", "禽蛋/鸡蛋"),
        ("苹果", "生鲜/水果"),
    )
    pk, gid, member = await new_member(gql, client, seed, app, homeStoreCode="SH01")
    today = clock.business_date()
    await plant_feed(
        pk,
        candidates=[
            Candidate(bread, FeedKind.BOUGHT_TOGETHER, 3.0, {"lift": 3.0}, milk),
            Candidate(apple, FeedKind.SIMILAR_MEMBERS, 1.0, {"similarity": 1.0}, milk),
        ],
        rhythms=[Rhythm(eggs, 5, 7.0, today - timedelta(days=12))],
        recent={milk: today - timedelta(days=2)},
        favourite_categories=["乳品/鲜奶"],
    )
    return pk, gid, member, {"milk": milk, "bread": bread, "eggs": eggs, "apple": apple}


async def test_planted_member_sees_complements_and_a_due_replenishment(gql, client, seed, app):
    _pk, _gid, member, _ids = await planted(gql, client, seed, app)
    feed = await feed_of(member)
    shown = by_name(feed)
    assert shown["全麦面包"]["kind"] == "BOUGHT_TOGETHER"
    assert shown["全麦面包"]["reason"] == "常与 鲜牛奶 一起购买"
    assert shown["土鸡蛋"]["kind"] == "REPLENISH"
    assert shown["土鸡蛋"]["reason"] == "上次购买是 12 天前"
    assert shown["苹果"]["reason"] == "和你口味相近的会员也在买"
    assert "鲜牛奶" not in shown  # bought two days ago, not replenishable
    assert all(n["scoreParts"] is None for n in nodes(feed))  # members see no score parts
    again = await feed_of(member)
    assert [n["id"] for n in nodes(again)] == [n["id"] for n in nodes(feed)]  # stable ids


async def test_no_more_than_the_cap_of_one_category_in_the_first_ten(gql, client, seed, app):
    fruit = await plant_products(*[(f"水果{i}", "生鲜/水果") for i in range(8)])
    other = await plant_products(*[(f"零食{i}", f"休闲食品/零食{i % 4}") for i in range(8)])
    store_id, _region = await store_ids("SH02")
    await plant_popular("STORE", store_id, fruit + other)  # all the fruit sells best
    _pk, _gid, member = await new_member(gql, client, seed, app, homeStoreCode="SH02")
    first_ten = [n for n in products(await feed_of(member))][:10]
    cats = [n["product"]["categoryPath"] for n in first_ten]
    assert len(first_ten) == 10
    assert max(cats.count(c) for c in set(cats)) <= 2
    assert cats.count("生鲜/水果") == 2


async def test_dismissed_items_and_muted_categories_stay_out(gql, client, seed, app):
    pk, _gid, member, ids = await planted(gql, client, seed, app)
    assert {"全麦面包", "苹果"} <= set(by_name(await feed_of(member)))  # cached now
    await plant_dismissal(pk, f"product:{ids['bread']}")
    await plant_mute(pk, "生鲜")
    shown = by_name(await feed_of(member))  # the version moved: not the cached answer
    assert "全麦面包" not in shown and "苹果" not in shown
    assert "土鸡蛋" in shown
    # a dismissal that has run out lets the item back
    await plant_dismissal(pk, f"product:{ids['eggs']}", days=-1)
    assert "土鸡蛋" in by_name(await feed_of(member))


async def test_personalisation_off_shows_no_personal_kinds(gql, client, seed, app):
    pk, _gid, member, _ids = await planted(gql, client, seed, app)
    popular = await plant_products(("大米", "粮油/米面"), ("酱油", "调味品"))
    store_id, _region = await store_ids("SH01")
    await plant_popular("STORE", store_id, popular)
    await plant_preference(pk, False)
    feed = await feed_of(member)
    kinds = {n["kind"] for n in products(feed)}
    assert kinds and not kinds & {k.value for k in PERSONAL_KINDS}
    assert {"大米", "酱油"} <= set(by_name(feed))
    await plant_preference(pk, True)
    assert "全麦面包" in by_name(await feed_of(member))


async def test_cold_start_home_store_then_region_then_chain(gql, client, seed, app):
    store_items = await plant_products(("店热销A", "乳品/鲜奶"), ("店热销B", "调味品"))
    region_items = await plant_products(
        ("区热销", "粮油/米面"),
    )
    chain_items = await plant_products(
        ("全国热销品", "冷冻食品"),
    )
    gz01, _south = await store_ids("GZ01")
    _sh09, east = await new_store("SH09", "EAST")  # no best sellers of its own
    await plant_popular("STORE", gz01, store_items)
    await plant_popular("REGION", east, region_items)
    await plant_popular("CHAIN", 0, chain_items)
    offer = await template(gql, claimable=True, name="新人满100减20")

    _pk, _gid, in_gz = await new_member(gql, client, seed, app, homeStoreCode="GZ01")
    feed = await feed_of(in_gz)
    assert {n: v["reason"] for n, v in by_name(feed).items()} == {
        "店热销A": "本店热销",
        "店热销B": "本店热销",
    }
    coupons = {n["templateCode"]: n for n in nodes(feed) if n["__typename"] == "CouponOffer"}
    assert coupons[offer]["reason"] == "新会员专享：新人满100减20"
    assert coupons[offer]["kind"] == "COUPON"

    _pk, _gid, in_sh = await new_member(gql, client, seed, app, homeStoreCode="SH09")
    assert {v["reason"] for v in by_name(await feed_of(in_sh)).values()} == {"本区热销"}

    _pk, _gid, nowhere = await new_member(gql, client, seed, app)
    assert by_name(await feed_of(nowhere))["全国热销品"]["reason"] == "全国热销"

    # a member registered over a month ago with no purchase history (as after turning
    # personalisation off): the same offer, not worded "for new members"
    older_pk, _gid, _old_token = await new_member(gql, client, seed, app, homeStoreCode="GZ01")
    clock.advance(timedelta(days=31))
    feed = await feed_of(await as_member(gql, app, older_pk))
    coupons = {n["templateCode"]: n for n in nodes(feed) if n["__typename"] == "CouponOffer"}
    assert coupons[offer]["reason"] == "可领取：新人满100减20"


async def test_claiming_a_coupon_takes_its_offer_out_at_once(gql, client, seed, app):
    code = await template(gql, claimable=True, perMemberLimit=1)
    _pk, _gid, member = await new_member(gql, client, seed, app)
    offers = lambda f: {n.get("templateCode") for n in nodes(f)}  # noqa: E731
    assert code in offers(await feed_of(member))  # and cached
    claimed = (await member(CLAIM, {"t": code}))["data"]["couponClaim"]
    assert claimed["__typename"] == "CouponClaimSuccess", claimed
    assert code not in offers(await feed_of(member))


async def test_pages_are_stable_and_cover_the_feed_once(gql, client, seed, app):
    items = await plant_products(*[(f"商品{i}", f"类目{i}") for i in range(30)])
    await plant_popular("CHAIN", 0, items)
    _pk, _gid, member = await new_member(gql, client, seed, app)
    whole = [n["id"] for n in nodes(await feed_of(member, first=100))]
    seen, after = [], None
    while True:
        page = await feed_of(member, first=7, after=after)
        seen += [n["id"] for n in nodes(page)]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == whole and len(set(seen)) == len(seen) >= 30


async def test_bad_page_arguments_are_typed_errors(gql, client, seed, app):
    _pk, _gid, member = await new_member(gql, client, seed, app)
    bad_cursors = [
        "bm90LWEtY3Vyc29y",  # "not-a-cursor"
        to_base64("feed", "²:product:1"),  # a digit Python's int() reads but ASCII is not
        to_base64("feed", "100000:product:1"),  # past the deepest page
        to_base64("feed", "3:basket:1"),  # no such item type
        to_base64("ledger", "12"),  # another list's cursor
    ]
    for variables in ({"first": 101}, {"first": -1}, *({"after": c} for c in bad_cursors)):
        r = await member(FEED, variables)
        assert r["data"]["me"]["feed"] is None
        (error,) = r["errors"]
        assert error["extensions"]["code"] == "INVALID_INPUT", error
        assert error["message"] != "Unexpected error."


async def test_a_member_reads_only_their_own_feed(gql, client, seed, app):
    _pk, _gid, member, _ids = await planted(gql, client, seed, app)
    _other_pk, other_gid, _other = await new_member(gql, client, seed, app)
    r = await member(STAFF_FEED, {"id": other_gid})
    assert r["data"]["member"] is None  # outside their scope: nothing of it

    pos = await partner(gql, client, seed)
    r = await pos(
        "query($id: ID!) { memberLookup(ref: {memberId: $id}) { ... on Member { feed "
        "{ edges { cursor } } } } }",
        {"id": other_gid},
    )
    assert r["data"]["memberLookup"]["feed"] is None
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    r = await gql("{ me { feed { edges { cursor } } } }")
    assert r["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_staff_see_score_parts_and_the_read_is_audited(gql, client, seed, app):
    pk, gid, _member, _ids = await planted(gql, client, seed, app)
    agent = await sign_in_staff(gql, "agent@test.cn")
    r = await agent(STAFF_FEED, {"id": gid, "first": 5})
    assert "errors" not in r, r
    feed_nodes = [e["node"] for e in r["data"]["member"]["feed"]["edges"]]
    bread = next(n for n in feed_nodes if n["kind"] == "BOUGHT_TOGETHER")
    parts = {p["name"]: p["value"] for p in bread["scoreParts"]}
    assert parts["lift"] == 3.0
    assert await AuditEntry.filter(action="feed.read", target_id=str(pk)).count() == 1

    # store staff of another region do not reach this SH01 member
    gz = await sign_in_staff(gql, "gz01@test.cn")
    assert (await gz(STAFF_FEED, {"id": gid}))["data"]["member"] is None


async def test_bought_together_by_lift_with_figures_for_staff_only(gql, client, seed, app):
    milk, bread, cereal, gone = await plant_products(
        ("鲜牛奶2", "乳品/鲜奶"), ("吐司", "烘焙/面包"), ("麦片", "冲调"), ("下架品", "冲调")
    )
    await plant_rule(milk, cereal, lift=2.0, confidence=0.2)
    await plant_rule(milk, bread, lift=4.0, confidence=0.5, support=0.02)
    await plant_rule(milk, gone, lift=9.0)
    await Product.filter(id=gone).delete()  # left the catalogue: its rule is skipped
    doc = """query($id: ID!) { node(id: $id) { ... on Product {
      boughtTogether(first: 5) { product { name } support confidence lift } } } }"""
    _pk, _gid, member = await new_member(gql, client, seed, app)
    got = (await member(doc, {"id": to_base64("Product", milk)}))["data"]["node"]
    assert [b["product"]["name"] for b in got["boughtTogether"]] == ["吐司", "麦片"]
    assert all(b["support"] is None and b["lift"] is None for b in got["boughtTogether"])

    analyst = await sign_in_staff(gql, "analyst@test.cn")
    got = (await analyst(doc, {"id": to_base64("Product", milk)}))["data"]["node"]
    top = got["boughtTogether"][0]
    assert (top["support"], top["confidence"], top["lift"]) == (0.02, 0.5, 4.0)

    # many products at once (one batch for all of them): each with its own list
    listed = await member(
        """{ products(first: 100, category: "乳品") { edges { node { name
        boughtTogether(first: 1) { product { name } } } } } }"""
    )
    together = {
        e["node"]["name"]: [b["product"]["name"] for b in e["node"]["boughtTogether"]]
        for e in listed["data"]["products"]["edges"]
    }
    assert together["鲜牛奶2"] == ["吐司"]


CAMPAIGN = """mutation($in: PointsCampaignInput!) { pointsCampaignCreate(input: $in) {
  __typename ... on PointsCampaign { id } ... on UserError { message } } }"""
OFFERS = """{ me { feed(first: 30) { edges { node { __typename
  ... on FeedEntry { id kind reason }
  ... on CampaignItem { name multiplierPct endsOn }
  ... on PointsExpiringItem { points lastUsableDay } } } } } }"""


async def test_todays_campaign_and_expiring_points_take_the_offer_slots(gql, client, seed, app):
    pos, card, pk = await pos_and_member(gql, client, seed)
    r = await pos(ORDER, {"in": order_input(card, fen=12_300)})
    points = r["data"]["orderCreate"]["order"]["pointsEarned"]
    gone = lot_expiry(clock.now(), app.state.rt.settings.points_expiry_extra_years)
    last = date(gone.astimezone(clock.SHANGHAI).year - 1, 12, 31)
    at(datetime(last.year, 12, 10, 4, 0, tzinfo=UTC))  # three weeks before: released
    await jobs.release_due()
    today = clock.business_date()
    admin = await sign_in_staff(gql, "admin@test.cn")
    made = await admin(
        CAMPAIGN,
        {
            "in": {
                "name": "会员日",
                "multiplierPct": 200,
                "startsOn": today.isoformat(),
                "endsOn": today.isoformat(),
                "weekdays": [today.isoweekday()],
            }
        },
    )
    assert made["data"]["pointsCampaignCreate"]["__typename"] == "PointsCampaign", made
    items = await plant_products(*[(f"热卖{i}", f"类目热卖{i}") for i in range(10)])
    sh01, _east = await store_ids("SH01")  # the member's home store
    await plant_popular("STORE", sh01, items)

    member = await as_member(gql, app, pk)
    got = [e["node"] for e in (await member(OFFERS))["data"]["me"]["feed"]["edges"]]
    kinds = [n["kind"] for n in got]
    assert kinds[2] == "POINTS_EXPIRING" and kinds[6] == "CAMPAIGN"  # the first two slots
    assert kinds[:2] == ["POPULAR_NEAR_YOU"] * 2
    assert got[2]["points"] == points and got[2]["lastUsableDay"] == last.isoformat()
    assert got[2]["reason"] == f"{points} 积分将于 12月31日 到期，记得使用"
    assert got[6]["reason"] == "今天会员日：积分2倍" and got[6]["multiplierPct"] == 200


SIGNALS = """mutation($id: ID!) {
  d: feedItemDismiss(itemId: $id, reason: NOT_INTERESTED) { __typename }
  m: feedCategoryMute(category: "生鲜") { __typename } }"""
PERSONAL_OFF = """mutation { feedPreferencesUpdate(personalised: false) { __typename } }"""


async def test_the_members_own_signals_change_the_next_feed_at_once(gql, client, seed, app):
    _pk, _gid, member, _ids = await planted(gql, client, seed, app)
    before = by_name(await feed_of(member))  # and cached
    r = await member(SIGNALS, {"id": before["全麦面包"]["id"]})
    assert "errors" not in r and "Error" not in str(r["data"]), r
    after = by_name(await feed_of(member))
    assert "全麦面包" not in after and "苹果" not in after and "土鸡蛋" in after
    r = await member(PERSONAL_OFF)
    assert "Error" not in r["data"]["feedPreferencesUpdate"]["__typename"], r
    kinds = {n["kind"] for n in products(await feed_of(member))}
    assert not kinds & {k.value for k in PERSONAL_KINDS}


async def test_a_new_order_changes_the_feed_at_once(gql, client, seed, app, monkeypatch):
    """Last in this module: the rebuild replaces the global read model of the tests above."""
    chain = await beer_and_chips_chain(app, gql, client, seed, monkeypatch)
    pos, card, pk = chain["pos"], chain["card"], chain["pk"]
    member = await as_member(gql, app, pk)
    before = by_name(await feed_of(member))  # and cached
    assert before["啤酒"]["reason"] == "本店热销"
    assert before.get("薯片", {}).get("kind") != "BOUGHT_TOGETHER"

    await feed_order(pos, card, ["FEED-BEER"])

    async def complement() -> dict | None:
        shown = by_name(await feed_of(member))
        chips = shown.get("薯片")
        return shown if chips and chips["kind"] == "BOUGHT_TOGETHER" else None

    after = await wait_for(complement, within=30)
    assert after["薯片"]["reason"] == "常与 啤酒 一起购买"
    assert "啤酒" not in after  # just bought, not replenishable: out for a while
