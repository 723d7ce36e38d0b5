"""Helpers shared by the API tests: GraphQL documents and factories that make members,
orders, coupons and partners through the API (or, where a test needs a fixed state, the
tables). Test modules import from here, never from each other."""

from __future__ import annotations

import itertools
from datetime import datetime

from strawberry.relay import GlobalID

from domain import clock
from domain.auth.model import Principal, PrincipalKind
from domain.coupons.tables import Coupon, CouponRedemption, CouponTemplate
from domain.members.tables import Consent, Member
from domain.orders.tables import Order, Refund
from domain.partners.services import create_partner
from domain.points.tables import LedgerEntry, PointsAccount
from tests.conftest import GQL, partner_token, sign_in_staff

_codes = itertools.count(1)  # coupon template codes
_numbers = itertools.count(1)  # phone numbers
_serial = itertools.count(1)  # order numbers

MEMBER_FIELDS = """id phone displayName gender birthday incomeBand status tags
  registrationChannel homeStore { code region { code } } card { number status }"""
VIEWER = {"query": "{ viewer { kind } }"}


TEMPLATE = """mutation($in: CouponTemplateInput!) { couponTemplateCreate(input: $in) {
  __typename ... on CouponTemplate { code description stockLeft }
  ... on UserError { code message } ... on InvalidInputError { field } } }"""


ISSUE = """mutation($t: String!, $ids: [ID!]!, $b: String!) {
  couponIssue(templateCode: $t, memberIds: $ids, batchId: $b) {
  __typename ... on CouponIssueReport { issued { memberId code } skipped { memberId reason } }
  ... on UserError { code message } } }"""


REDEEM = """mutation($in: CouponRedeemInput!) { couponRedeem(input: $in) {
  __typename ... on CouponRedeemSuccess { replayed redemption { code orderExternalId discountFen } }
  ... on CouponNotApplicableError { couponCode reasons { reason conflictingCode } }
  ... on UserError { code message } } }"""


MY_COUPONS = """query($s: CouponStatus) { me {
  coupons(status: $s, first: 10) { edges { node { code status name description } } }
  claimableCoupons { templateCode description stockLeft } } }"""


CLAIM = """mutation($t: String!) { couponClaim(templateCode: $t) {
  __typename ... on CouponClaimSuccess { coupon { code status description } }
  ... on CouponUnavailableError { reason } ... on UserError { code message } } }"""


REPORT = """{ couponTemplates { code report {
  issued redeemed expired discountGivenFen attributedRevenueFen } } }"""


def new_code(prefix: str = "T") -> str:
    return f"{prefix}{next(_codes):05d}"


async def staff(gql: GQL) -> GQL:
    return await sign_in_staff(gql, "admin@test.cn")


async def template(gql: GQL, **fields) -> str:
    """A template created through the API; returns its code."""
    body = {"code": new_code(), "name": "满100减20", "kind": "AMOUNT_OFF", "thresholdFen": 10_000}
    body |= {"valueFen": 2_000, "validityDays": 30, "perMemberLimit": None} | fields
    r = (await (await staff(gql))(TEMPLATE, {"in": body}))["data"]["couponTemplateCreate"]
    assert r["__typename"] == "CouponTemplate", r
    return r["code"]


async def issue(gql: GQL, template_code: str, *pks: int) -> list[str]:
    ids = [member_gid(pk) for pk in pks]
    r = await (await staff(gql))(ISSUE, {"t": template_code, "ids": ids, "b": new_code("B")})
    report = r["data"]["couponIssue"]
    assert not report["skipped"], report
    return [i["code"] for i in report["issued"]]


def member_gid(pk: int) -> str:
    from strawberry.relay import to_base64

    return to_base64("Member", pk)


async def redeemer(gql: GQL, client) -> GQL:
    """A till with the coupons:redeem scope (and orders, to post the order after)."""
    app, secret = await create_partner(
        new_code("till"), ["coupons:redeem", "orders:write", "members:write", "members:read"]
    )
    return gql.as_(await partner_token(client, (app.client_id, secret)))


async def as_member(gql: GQL, app, pk: int) -> GQL:
    token, _ = await app.state.rt.tokens.issue(Principal(kind=PrincipalKind.MEMBER, id=pk))
    return gql.as_(token)


def draft(fen: int = 10_000, *, store: str = "SH01", channel: str = "POS", **extra) -> dict:
    return {
        "storeCode": store,
        "channel": channel,
        "lines": [{"sku": "690000000001", "quantity": 1, "unitPriceFen": fen}],
        **extra,
    }


def pk_of(gid: str) -> int:
    """The database key inside a global id."""
    from strawberry.relay import GlobalID

    return int(GlobalID.from_id(gid).node_id)


def new_phone() -> str:
    return f"+86137{next(_numbers):08d}"


REGISTER = f"""mutation($in: MemberRegisterInput!) {{ memberRegister(input: $in) {{
  __typename
  ... on MemberRegisterSuccess {{ created member {{ {MEMBER_FIELDS} }} }}
  ... on UserError {{ code message }}
  ... on InvalidInputError {{ field }} ... on InvalidPhoneError {{ field }} }} }}"""


LOOKUP = f"""query($ref: MemberRefInput!) {{ memberLookup(ref: $ref) {{
  __typename ... on Member {{ {MEMBER_FIELDS} }}
  ... on UserError {{ code }} ... on CardNotActiveError {{ cardStatus }} }} }}"""


async def partner(gql: GQL, client, seed, scope: str = "") -> GQL:
    return gql.as_(await partner_token(client, seed["partner"], scope))


async def register(who: GQL, phone: str, **fields) -> dict:
    r = await who(REGISTER, {"in": {"phone": phone, **fields}})
    assert "errors" not in r, r
    return r["data"]["memberRegister"]


def _node(gid: str) -> str:
    return GlobalID.from_id(gid).node_id


def at(moment: datetime) -> None:
    clock.reset()
    clock.advance(moment - clock.now())


async def consent(pk: int, granted: bool = True) -> None:
    await Consent.create(
        member_id=pk,
        purpose="MARKETING_SMS",
        granted=granted,
        policy_version="2026-01",
        source="member",
        recorded_at=clock.now(),
    )


ORDER = """mutation($in: OrderCreateInput!) { orderCreate(input: $in) {
  __typename
  ... on OrderCreateSuccess { replayed order { externalId pointsEarned pointsRedeemed status } }
  ... on UserError { code message } ... on InsufficientPointsError { needed available } } }"""


REFUND = """mutation($in: OrderRefundInput!) { orderRefund(input: $in) {
  __typename
  ... on OrderRefundSuccess { replayed refund { amountFen pointsReversed pointsReturned }
                              order { status refundedFen } }
  ... on UserError { code message } } }"""


def order_id() -> str:
    return f"SH01-20261123-{next(_serial):05d}"


def order_input(card: str, fen: int = 10_000, **extra) -> dict:
    return {
        "externalId": order_id(),
        "channel": "POS",
        "storeCode": "SH01",
        "paidAt": clock.now().isoformat(),
        "lines": [{"sku": "690000000001", "quantity": 1, "unitPriceFen": fen}],
        "totalPaidFen": fen,
        "member": {"cardNumber": card},
        **extra,
    }


async def pos_and_member(gql: GQL, client, seed) -> tuple[GQL, str, int]:
    """A partner client and a new member of SH01: (partner, card number, member pk)."""
    pos = gql.as_(await partner_token(client, seed["partner"]))
    r = await pos(REGISTER, {"in": {"phone": new_phone(), "homeStoreCode": "SH01"}})
    m = r["data"]["memberRegister"]["member"]
    return pos, m["card"]["number"], pk_of(m["id"])


async def account(pk: int) -> tuple[int, int, int]:
    a = await PointsAccount.get_or_none(member_id=pk)
    return (a.balance, a.pending, a.debt) if a else (0, 0, 0)


async def ledger_sum(pk: int) -> int:
    return sum(await LedgerEntry.filter(member_id=pk).values_list("points", flat=True))


ADJUST = """mutation($id: ID!, $p: Int!, $why: String!) {
  pointsAdjust(memberId: $id, points: $p, reason: $why) {
  __typename ... on Points { balance } ... on UserError { code } } }"""


SIGN_OUT = """mutation($t: String) { signOut(refreshToken: $t) { signedOut } }"""


async def status(client, token: str) -> int:
    r = await client.post("/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"})
    if r.status_code == 401:
        assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    return r.status_code


async def my_pk(member_client: GQL) -> str:
    """The signed-in member's own database key, read through `me`."""
    gid = (await member_client("{ me { id } }"))["data"]["me"]["id"]
    return GlobalID.from_id(gid).node_id


async def snapshot(pk: int) -> tuple:
    return (
        await account(pk),
        await ledger_sum(pk),
        await LedgerEntry.filter(member_id=pk).count(),
        await Order.filter(member_id=pk).count(),
        await Refund.all().count(),
    )


def allow_backdating(app, monkeypatch, days: int = 3660) -> None:
    """Accept orders paid up to ``days`` ago (ORDER_BACKDATE_MAX_DAYS) for this test."""
    rt = app.state.rt
    update = {"order_backdate_max_days": days}
    monkeypatch.setattr(rt, "settings", rt.settings.model_copy(update=update))


VALIDATE = """query($code: String!, $order: OrderDraftInput!) {
  couponValidate(code: $code, order: $order) {
  __typename ... on CouponValidation { applicable discountFen giftSku description
    failures { reason message conflictingCode } }
  ... on UserError { code message } } }"""


async def state(code: str) -> tuple:
    c = await Coupon.get(code=code)
    rows = await CouponRedemption.filter(coupon_id=c.id).values_list("status", "discount_fen")
    return c.status, sorted(rows)


POINTS = """query($id: ID!) { member(id: $id) { points { balance pending debt
  availableSoon { points } history(first: 50) { edges { node { kind points reason breakdown } } }
} } }"""


async def trigger_template(gql, trigger: str, **fields) -> str:
    """The one template of a trigger in this test session (the first active one wins)."""
    found = await CouponTemplate.filter(trigger=trigger, active=True).order_by("id").first()
    if found:
        return found.code
    return await template(gql, trigger=trigger, **fields)


async def coupons_of(pk: int, template_code: str) -> list[Coupon]:
    return await Coupon.filter(member_id=pk, template__code=template_code).order_by("id")


REWARD = """mutation($code: String!, $req: String!, $q: Int!) {
  rewardRedeem(rewardCode: $code, requestId: $req, quantity: $q) {
  __typename ... on RewardRedeemSuccess { points replayed outcomes { prize couponCode } }
  ... on UserError { code message } } }"""


UPSERT = """mutation($in: RewardInput!) { rewardUpsert(input: $in) {
  __typename ... on UserError { code message } } }"""


PROGRESS = """query($id: ID!) { member(id: $id) { tier { code } tierProgress {
  current { code } next { code } qualifyingSpendFen spendToNextFen spendToKeepFen reviewAt }
  tierHistory { fromCode toCode reason } } }"""


async def tier_of(pk: int) -> str | None:
    m = await Member.get(id=pk).select_related("tier")
    return m.tier.code if m.tier else None


# --- feeds: the read model and the member's signals, planted through the serving store's
# seed_* writers (the nightly rebuild and the signal mutations write them in production)

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
