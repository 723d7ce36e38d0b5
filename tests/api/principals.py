"""Every kind of caller, signed in once, and one object of each Node type for two members.

``build_world`` is shared by the access matrix: members A and B (both of store SH01, region
EAST), a partner token per scope and one with them all, staff of every role and place.
The principal ``member-other`` is member A asking for B's data; everyone else asks for A's.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from strawberry.relay import GlobalID, to_base64

from domain import clock
from domain.auth.model import PARTNER_SCOPES, Principal, PrincipalKind
from tests.conftest import GQL, STAFF_PASSWORD, partner_token, sign_in_staff, wait_for

_serial = itertools.count(1)

# name -> (email, role, region, store); created here unless the suite's seed has them
STAFF = {
    "store": ("sh01@test.cn", "store_staff", None, "SH01"),
    "store-other-store": ("matrix.sh02@test.cn", "store_staff", None, "SH02"),
    "store-other-region": ("gz01@test.cn", "store_staff", None, "GZ01"),
    "region": ("matrix.east@test.cn", "service_agent", "EAST", None),
    "region-other": ("south.agent@test.cn", "service_agent", "SOUTH", None),
    "analyst": ("analyst@test.cn", "analyst", None, None),
    "agent": ("agent@test.cn", "service_agent", None, None),
    "marketing": ("matrix.marketing@test.cn", "marketing_manager", None, None),
    "admin": ("admin@test.cn", "admin", None, None),
}
PARTNERS = {f"partner:{s}": s for s in sorted(PARTNER_SCOPES)} | {"partner:all": ""}
PRINCIPALS = ("anonymous", "member", "member-other", *PARTNERS, *STAFF)


def serial(prefix: str) -> str:
    return f"{prefix}{next(_serial):05d}"


def phone() -> str:
    return f"+86136{next(_serial) + 70_000_000:08d}"


@dataclass
class World:
    callers: dict[str, GQL]
    member_a: str  # global ids
    member_b: str
    # Node type -> {"A": global id, "B": global id} (one id for types no member owns)
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)

    def target(self, principal: str) -> str:
        """The member a principal asks about: B for ``member-other``, else A."""
        return self.member_b if principal == "member-other" else self.member_a

    def node(self, type_name: str, principal: str) -> str:
        ids = self.nodes[type_name]
        if "*" in ids:  # no member owns it
            return ids["*"]
        return ids["B"] if principal == "member-other" else ids["A"]


REGISTER = """mutation($in: MemberRegisterInput!) { memberRegister(input: $in) {
  __typename ... on MemberRegisterSuccess { member { id } } ... on UserError { message } } }"""
ORDER = """mutation($in: OrderCreateInput!) { orderCreate(input: $in) {
  __typename ... on OrderCreateSuccess { order { id } } ... on UserError { message } } }"""
OWNED = """query($id: ID!) { member(id: $id) {
  identities { id } coupons(first: 1) { edges { node { id } } }
  points { history(first: 1) { edges { node { id } } } } } }"""


async def _ok(caller: GQL, doc: str, variables: dict, key: str) -> dict:
    r = await caller(doc, variables)
    value = (r.get("data") or {}).get(key)
    assert value and "message" not in value, r
    return value


async def build_world(gql: GQL, client, app) -> World:
    from domain.org.services import create_staff
    from domain.org.tables import Staff
    from domain.partners.services import create_partner

    app_row, secret = await create_partner(serial("matrix"), sorted(PARTNER_SCOPES))
    creds = (app_row.client_id, secret)
    callers: dict[str, GQL] = {"anonymous": gql}
    for name, scope in PARTNERS.items():
        callers[name] = gql.as_(await partner_token(client, creds, scope))
    for name, (email, role, region, store) in STAFF.items():
        if not await Staff.exists(email=email):
            await create_staff(email, STAFF_PASSWORD, role, region_code=region, store_code=store)
        callers[name] = await sign_in_staff(gql, email)
    pos, admin = callers["partner:all"], callers["admin"]

    async def member() -> str:
        body = {"phone": phone(), "homeStoreCode": "SH01"}
        return (await _ok(pos, REGISTER, {"in": body}, "memberRegister"))["member"]["id"]

    a, b = await member(), await member()
    token, _ = await app.state.rt.tokens.issue(
        Principal(kind=PrincipalKind.MEMBER, id=int(GlobalID.from_id(a).node_id))
    )
    callers["member"] = callers["member-other"] = gql.as_(token)
    world = World(callers, a, b)
    await _owned_objects(world, pos, admin)
    await _shared_objects(world, admin)
    return world


async def _owned_objects(world: World, pos: GQL, admin: GQL) -> None:
    """An order, a ledger entry, a coupon, an identity, a merge, a message of A and of B."""
    from domain.notifications.tables import Message

    tpl = await _ok(admin, TEMPLATE, {"in": _template()}, "couponTemplateCreate")
    world.nodes["CouponTemplate"] = {"*": tpl["id"]}
    await _ok(
        admin,
        ISSUE,
        {"t": tpl["code"], "ids": [world.member_a, world.member_b], "b": serial("B")},
        "couponIssue",
    )
    for key, gid in (("A", world.member_a), ("B", world.member_b)):
        order = {
            "externalId": serial("MATRIX-"),
            "channel": "POS",
            "storeCode": "SH01",
            "paidAt": clock.now().isoformat(),
            "lines": [{"sku": "690000000001", "quantity": 1, "unitPriceFen": 5_000}],
            "totalPaidFen": 5_000,
            "member": {"memberId": gid},
        }
        made = await _ok(pos, ORDER, {"in": order}, "orderCreate")
        link = {"id": gid, "ch": "ECOMMERCE_BUYER", "x": serial("buyer-")}
        await _ok(pos, LINK, link, "identityLink")
        absorbed = await _member(pos)
        merged = await _ok(
            admin, MERGE, {"s": gid, "a": absorbed, "why": "同一人, matrix"}, "memberMerge"
        )
        tiered = {"id": gid, "t": "SILVER", "u": "2027-06-01T00:00:00Z", "why": "matrix"}
        await _ok(admin, OVERRIDE, tiered, "tierOverride")
        owned = (await admin(OWNED, {"id": gid}))["data"]["member"]
        pk = int(GlobalID.from_id(gid).node_id)
        message = await wait_for(lambda pk=pk: Message.filter(member_id=pk).first())
        for type_name, node_id in (
            ("Order", made["order"]["id"]),
            ("MemberIdentity", owned["identities"][0]["id"]),
            ("Coupon", owned["coupons"]["edges"][0]["node"]["id"]),
            ("LedgerEntry", owned["points"]["history"]["edges"][0]["node"]["id"]),
            ("MemberMerge", merged["id"]),
            ("Notification", to_base64("Notification", message.id)),
            ("Member", gid),
        ):
            world.nodes.setdefault(type_name, {})[key] = node_id


async def _member(pos: GQL) -> str:
    body = {"phone": phone(), "homeStoreCode": "SH01"}
    return (await _ok(pos, REGISTER, {"in": body}, "memberRegister"))["member"]["id"]


async def _shared_objects(world: World, admin: GQL) -> None:
    """A reward, a points campaign, a product, an audit entry and a dead letter."""
    from domain.events import dead_letters

    reward = {"code": serial("MATRIX-R"), "name": "购物袋", "kind": "GOODS", "pointsCost": 1}
    r = await _ok(admin, REWARD, {"in": reward}, "rewardUpsert")
    world.nodes["Reward"] = {"*": r["id"]}
    campaign = {"name": "matrix", "multiplierPct": 200, "startsOn": "2099-01-01"}
    c = await _ok(
        admin, CAMPAIGN, {"in": campaign | {"endsOn": "2099-01-02"}}, "pointsCampaignCreate"
    )
    world.nodes["PointsCampaign"] = {"*": c["id"]}
    sku = serial("MATRIX-SKU-")
    product = {"sku": sku, "name": "测试", "categoryPath": "测试", "priceFen": 100}
    await _ok(admin, PRODUCT, {"p": [product]}, "productUpsert")
    edges = (await admin(PRODUCTS))["data"]["products"]["edges"]
    world.nodes["Product"] = {"*": edges[0]["node"]["id"]}
    audit = (await admin("{ auditLog(first: 1) { edges { node { id } } } }"))["data"]
    world.nodes["AuditEntry"] = {"*": audit["auditLog"]["edges"][0]["node"]["id"]}
    await dead_letters.record(
        actor="matrix_job",
        queue="default",
        message_id=serial("matrix-"),
        args=[],
        kwargs={},
        error="boom",
        retries=3,
    )
    dead = (await admin("{ deadLetters(first: 1) { edges { node { id } } } }"))["data"]
    world.nodes["DeadLetter"] = {"*": dead["deadLetters"]["edges"][0]["node"]["id"]}


def _template() -> dict:
    return {
        "code": serial("MATRIX-T"),
        "name": "满100减20",
        "kind": "AMOUNT_OFF",
        "thresholdFen": 10_000,
        "valueFen": 2_000,
        "validityDays": 30,
    }


TEMPLATE = """mutation($in: CouponTemplateInput!) { couponTemplateCreate(input: $in) {
  __typename ... on CouponTemplate { id code } ... on UserError { message } } }"""
ISSUE = """mutation($t: String!, $ids: [ID!]!, $b: String!) {
  couponIssue(templateCode: $t, memberIds: $ids, batchId: $b) {
  __typename ... on CouponIssueReport { issued { code } } ... on UserError { message } } }"""
LINK = """mutation($id: ID, $ch: IdentityChannel!, $x: String!) {
  identityLink(memberId: $id, channel: $ch, externalId: $x) {
  __typename ... on MemberIdentity { id } ... on UserError { message } } }"""
MERGE = """mutation($s: ID!, $a: ID!, $why: String!) {
  memberMerge(survivorId: $s, absorbedId: $a, reason: $why) {
  __typename ... on MemberMerge { id } ... on UserError { message } } }"""
OVERRIDE = """mutation($id: ID!, $t: String!, $u: DateTime!, $why: String!) {
  tierOverride(memberId: $id, tierCode: $t, until: $u, reason: $why) {
  __typename ... on UserError { message } } }"""
REWARD = """mutation($in: RewardInput!) { rewardUpsert(input: $in) {
  __typename ... on Reward { id } ... on UserError { message } } }"""
CAMPAIGN = """mutation($in: PointsCampaignInput!) { pointsCampaignCreate(input: $in) {
  __typename ... on PointsCampaign { id } ... on UserError { message } } }"""
PRODUCT = """mutation($p: [ProductInput!]!) { productUpsert(products: $p) {
  __typename ... on UserError { message } } }"""
PRODUCTS = "{ products(first: 1) { edges { node { id } } } }"
