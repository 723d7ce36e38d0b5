"""Test helpers of the feeds area: planted read-model rows and signals, feed products
and orders sent by a till, the feed query."""

from __future__ import annotations

import itertools

from domain import clock
from tests.conftest import GQL, sign_in_staff
from tests.factories import (
    ORDER,
    allow_backdating,
    as_member,
    new_code,
    new_phone,
    order_input,
    pk_of,
    pos_and_member,
    register,
    staff,
)

_serial = itertools.count(1)  # feed product SKUs

FEED = """query($first: Int, $after: String) { me { feed(first: $first, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node { __typename ... on FeedEntry { id kind reason scoreParts { name value } }
    ... on ProductSuggestion { product { id name categoryPath } }
    ... on CouponOffer { templateCode } ... on CampaignItem { name multiplierPct } } } } } }"""


async def plant_products(*specs: tuple[str, str]) -> list[int]:
    """Products (name, category path) in the catalogue; their ids, in order."""
    from domain.catalog.tables import Product

    ids = []
    for name, path in specs:
        row = await Product.create(
            sku=new_code("F"), name=name, category_path=path, brand="", price_fen=990
        )
        ids.append(row.id)
    return ids


async def plant_feed(pk: int, **doc) -> int:
    """The member's read-model document (candidates, rhythms, recent, favourite_categories
    of ``domain.feeds.model.MemberModel``), written as an order's refresh writes it;
    returns the row's new version."""
    from domain.db import in_transaction
    from domain.feeds.model import MemberModel
    from domain.feeds.store import build

    now = clock.now()
    async with in_transaction():
        await build.lock_member(pk, now)
        await build.save_member(pk, MemberModel(**doc).dumps(), now)
    found = await build.member_doc(pk)
    assert found is not None
    return found[1]


async def plant_popular(scope: str, scope_id: int, product_ids: list[int]) -> None:
    """Best sellers of a scope (CHAIN 0, REGION id, STORE id), best first, replacing that
    scope's rows (the rebuild replaces them all at once)."""
    from domain.feeds.tables import FeedPopularity

    n = len(product_ids)
    await FeedPopularity.filter(scope=scope, scope_id=scope_id).delete()
    await FeedPopularity.bulk_create(
        [
            FeedPopularity(
                scope=scope, scope_id=scope_id, product_id=p, buyers=100 - i, score=n - i, rank=i
            )
            for i, p in enumerate(product_ids, start=1)
        ]
    )


async def plant_rule(a: int, c: int, *, lift: float, confidence=0.3, support=0.01) -> None:
    from domain.feeds.tables import FeedRule

    await FeedRule.create(
        antecedent_id=a,
        consequent_id=c,
        baskets=40,
        support=support,
        confidence=confidence,
        lift=lift,
    )


async def plant_dismissal(pk: int, item_key: str, *, days: int = 90) -> None:
    """As feedItemDismiss writes it (through the signals store), in ``days``."""
    from datetime import timedelta

    from domain.db import in_transaction
    from domain.feeds.store import signals

    now = clock.now()
    async with in_transaction():
        await signals.dismiss(pk, item_key, "NOT_INTERESTED", now, now + timedelta(days=days))
        await signals.touch(pk, now)


async def plant_mute(pk: int, category: str) -> None:
    from domain.db import in_transaction
    from domain.feeds.store import signals

    async with in_transaction():
        await signals.mute(pk, category, clock.now())
        await signals.touch(pk, clock.now())


async def plant_preference(pk: int, personalised: bool) -> None:
    from domain.db import in_transaction
    from domain.feeds.store import signals

    async with in_transaction():
        await signals.set_personalised(pk, personalised, clock.now())
        await signals.touch(pk, clock.now())


async def store_ids(code: str) -> tuple[int, int]:
    """(store id, its region id)."""
    from domain.org.store import store_by_code

    found = await store_by_code(code)
    assert found is not None, code
    return found.id, found.region_id


async def new_store(code: str, region_code: str) -> tuple[int, int]:
    """A store of its own for a test (no popularity planted for it yet)."""
    from domain.org.tables import Region, Store

    region = await Region.get(code=region_code)
    row = await Store.create(code=code, name=f"测试店{code}", region=region)
    return row.id, region.id


# --- feeds: the member's signals ------------------------------------------------------------
FEED_PRODUCT = """mutation($p: [ProductInput!]!) { productUpsert(products: $p) {
  __typename ... on UserError { message } } }"""


async def feed_product(gql: GQL, category: str, name: str = "测试商品") -> int:
    """A product in ``category`` made through productUpsert; its database key."""
    from domain.catalog.tables import Product

    sku = f"FEED{next(_serial):08d}"
    body = {"sku": sku, "name": name, "categoryPath": category, "priceFen": 1_000}
    r = await (await staff(gql))(FEED_PRODUCT, {"p": [body]})
    assert r["data"]["productUpsert"]["__typename"] == "ProductUpsertSuccess", r
    return (await Product.get(sku=sku)).id


def feed_item_id(key: str) -> str:
    """The opaque FeedItem.id of an item key ("product:12")."""
    from strawberry.relay import to_base64

    return to_base64("FeedItem", key)


async def feed_rows(pk: int) -> tuple[int, int, int, int, int | None]:
    """(dismissals, mutes, preference rows, events, feed version) of a member."""
    from domain.feeds.tables import (
        FeedDismissal,
        FeedEvent,
        FeedMember,
        FeedMute,
        FeedPreference,
    )

    fm = await FeedMember.get_or_none(member_id=pk)
    return (
        await FeedDismissal.filter(member_id=pk).count(),
        await FeedMute.filter(member_id=pk).count(),
        await FeedPreference.filter(member_id=pk).count(),
        await FeedEvent.filter(member_id=pk).count(),
        fm.version if fm else None,
    )


# --- feeds: a small planted chain for the rebuild and refresh tests ---

FEED_PRODUCTS = {  # sku -> (name, category path)
    "FEED-MILK": ("鲜牛奶", "乳品/牛奶"),
    "FEED-BREAD": ("吐司面包", "烘焙/面包"),
    "FEED-BUTTER": ("黄油", "乳品/黄油"),
    "FEED-BEER": ("啤酒", "酒水/啤酒"),
    "FEED-CHIPS": ("薯片", "零食/薯片"),
    "FEED-WINE": ("葡萄酒", "酒水/葡萄酒"),
    "FEED-CHEESE": ("奶酪", "乳品/奶酪"),
}
PRODUCT_UPSERT = """mutation($p: [ProductInput!]!) { productUpsert(products: $p) {
  __typename ... on ProductUpsertSuccess { created updated } ... on UserError { code } } }"""


async def feed_products(gql: GQL) -> dict[str, int]:
    """The planted feed products (created once per module), sku -> product id."""
    from domain.catalog.store import by_sku

    admin = await sign_in_staff(gql, "admin@test.cn")
    rows = [
        {"sku": sku, "name": name, "categoryPath": path, "priceFen": 1000}
        for sku, (name, path) in FEED_PRODUCTS.items()
    ]
    r = await admin(PRODUCT_UPSERT, {"p": rows})
    assert r["data"]["productUpsert"]["__typename"] == "ProductUpsertSuccess", r
    return {sku: p.id for sku, p in (await by_sku(list(FEED_PRODUCTS))).items()}


async def feed_order(pos: GQL, card: str, skus: list[str], days_ago: float = 0) -> None:
    """A paid order of one of each ``skus`` (10 yuan each), ``days_ago`` days back
    (the test allows backdating: ``allow_backdating``)."""
    from datetime import timedelta

    o = order_input(
        card,
        fen=1000 * len(skus),
        paidAt=(clock.now() - timedelta(days=days_ago)).isoformat(),
        lines=[{"sku": s, "quantity": 1, "unitPriceFen": 1000} for s in skus],
    )
    r = await pos(ORDER, {"in": o})
    assert r["data"]["orderCreate"]["__typename"] == "OrderCreateSuccess", r


FEED_EVENTS = """mutation($e: [FeedEventInput!]!) { feedEventsRecord(events: $e) {
  __typename ... on FeedEventsRecordSuccess { accepted duplicates skipped }
  ... on UserError { code message } } }"""


async def feed_member(gql: GQL, app, store: str = "SH01") -> tuple[GQL, int]:
    """A new member of ``store`` registered by staff: (their own client, their pk)."""
    m = await register(await staff(gql), new_phone(), homeStoreCode=store)
    pk = pk_of(m["member"]["id"])
    return await as_member(gql, app, pk), pk


def feed_event(cid: str, pid: int, event: str = "IMPRESSION", kind: str = "REPLENISH", at=None):
    """A FeedEventInput for product ``pid`` (occurring now unless ``at``)."""
    return {
        "clientEventId": cid,
        "itemId": feed_item_id(f"product:{pid}"),
        "kind": kind,
        "event": event,
        "occurredAt": (at or clock.now()).isoformat(),
    }


async def beer_and_chips_chain(app, gql, client, seed, monkeypatch) -> dict:
    """Four members who buy FEED-BEER with FEED-CHIPS (30 and 12 days ago) and one who
    bought FEED-BREAD 20 days ago, sent by a till, then the feed read model rebuilt:
    {"ids": sku -> product id, "pos", "card", "pk"} of the bread buyer."""
    from domain.feeds import rebuild
    from tests.isolation import settle

    allow_backdating(app, monkeypatch)
    ids = await feed_products(gql)
    for _ in range(4):
        pos, card, _pk = await pos_and_member(gql, client, seed)
        for days in (30, 12):
            await feed_order(pos, card, ["FEED-BEER", "FEED-CHIPS"], days)
    pos, card, pk = await pos_and_member(gql, client, seed)
    await feed_order(pos, card, ["FEED-BREAD"], 20)
    await settle(app)
    await rebuild.rebuild_now(app.state.rt.settings, progress=lambda _m: None)
    return {"ids": ids, "pos": pos, "card": card, "pk": pk}
