"""Access control through the API: node(id:) holds the typed fields' rules, ids are global
and typed, partner scopes are checked (orders:read, loyalty:read), the demo till can read
what it spends, and denials say who must sign in and what is missing."""

from __future__ import annotations

from strawberry.relay import GlobalID, to_base64

from domain import clock
from domain.demo_constants import DEMO_PARTNER_SCOPES
from domain.events.tables import DeadLetter
from domain.members.tables import MemberIdentity, MemberMerge
from domain.partners.services import create_partner
from tests.api.principals import phone, serial
from tests.conftest import GQL, partner_token, sign_in_staff

REGISTER = """mutation($in: MemberRegisterInput!) { memberRegister(input: $in) {
  ... on MemberRegisterSuccess { member { id } } } }"""
ORDER = """mutation($in: OrderCreateInput!) { orderCreate(input: $in) {
  __typename ... on OrderCreateSuccess { order { id externalId } } } }"""
NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Member { phone card { number } }
  ... on Order { externalId } } }"""
LOOKUP = "query($id: ID!) { memberLookup(ref: {memberId: $id}) { ... on Member { %s } } }"
MEMBER_VIEW = """query($id: ID!) { memberLookup(ref: {memberId: $id}) {
  ... on Member { id points { balance pending } orders(first: 5) { edges { node { id } } } } } }"""


async def _till(gql: GQL, client, scopes: list[str], ask: str = "") -> GQL:
    app, secret = await create_partner(serial("till"), scopes)
    return gql.as_(await partner_token(client, (app.client_id, secret), ask))


async def _member_with_order(pos: GQL) -> tuple[str, str]:
    """A new member of SH01 with one order: (member gid, order gid)."""
    body = {"phone": phone(), "homeStoreCode": "SH01"}
    gid = (await pos(REGISTER, {"in": body}))["data"]["memberRegister"]["member"]["id"]
    order = {
        "externalId": serial("AC-"),
        "channel": "POS",
        "storeCode": "SH01",
        "paidAt": clock.now().isoformat(),
        "lines": [{"sku": "690000000001", "quantity": 1, "unitPriceFen": 8_800}],
        "totalPaidFen": 8_800,
        "member": {"memberId": gid},
    }
    made = (await pos(ORDER, {"in": order}))["data"]["orderCreate"]
    assert made["__typename"] == "OrderCreateSuccess", made
    return gid, made["order"]["id"]


# --- node(id:) ------------------------------------------------------------------------------


async def test_analyst_reads_no_member_order_or_coupon_through_node(gql, client, seed):
    pos = await _till(gql, client, ["members:read", "members:write", "orders:write"])
    member, order = await _member_with_order(pos)
    analyst = await sign_in_staff(gql, "analyst@test.cn")
    admin = await sign_in_staff(gql, "admin@test.cn")
    for gid in (member, order):
        assert (await analyst(NODE, {"id": gid})) == {"data": {"node": None}}
    # the same ids are readable by staff whose typed fields allow it
    seen = (await admin(NODE, {"id": member}))["data"]["node"]
    assert seen["__typename"] == "Member" and seen["phone"].count("*") == 4
    assert (await admin(NODE, {"id": order}))["data"]["node"]["__typename"] == "Order"
    # nor through the typed field, with a reason worded for staff
    denied = await analyst("query($id: ID!) { member(id: $id) { id } }", {"id": member})
    assert denied["data"] == {"member": None}
    assert denied["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert denied["errors"][0]["message"] == (
        "The staff role analyst cannot read other members' records."
    )


async def test_a_member_reaches_only_their_own_objects_by_id(gql, client, seed, app):
    from tests.factories import as_member

    pos = await _till(gql, client, ["members:read", "members:write", "orders:write"])
    mine, my_order = await _member_with_order(pos)
    other, other_order = await _member_with_order(pos)
    me = await as_member(gql, app, int(GlobalID.from_id(mine).node_id))
    assert (await me(NODE, {"id": my_order}))["data"]["node"]["id"] == my_order
    assert (await me(NODE, {"id": mine}))["data"]["node"]["card"]["number"]
    for gid in (other, other_order):
        assert (await me(NODE, {"id": gid})) == {"data": {"node": None}}


async def test_node_of_an_unknown_or_unreadable_type_is_null(gql, seed):
    admin = await sign_in_staff(gql, "admin@test.cn")
    for gid in (to_base64("Query", 1), to_base64("Staff", 1), to_base64("Member", 10**9)):
        assert (await admin(NODE, {"id": gid})) == {"data": {"node": None}}


# --- partners through node(id:): what the typed path gives, no more, no less ----------------

OWNED_PATHS = {  # a member's objects as a partner reaches them: memberLookup, then the field
    "MemberIdentity": "identities { id }",
    "Order": "orders(first: 5) { edges { node { id } } }",
    "Coupon": "coupons(first: 5) { edges { node { id } } }",
    "LedgerEntry": "points { history(first: 5) { edges { node { id } } } }",
}
PARTNER_MEMBER = """query($id: ID!) {
  byNode: node(id: $id) { ... on Member { id displayName phone birthday card { number } } }
  byId: member(id: $id) { id displayName phone birthday card { number } }
  byLookup: memberLookup(ref: {memberId: $id}) {
    ... on Member { id displayName phone birthday card { number } } } }"""


def _ids(value) -> set[str]:
    """Every ``id`` in an answer."""
    if isinstance(value, dict):
        return {v for k, v in value.items() if k == "id"} | {
            i for v in value.values() for i in _ids(v)
        }
    if isinstance(value, list):
        return {i for v in value for i in _ids(v)}
    return set()


async def _member_with_everything(gql: GQL, client) -> dict[str, str]:
    """A member with an order (and its ledger entry), a coupon and a linked identity."""
    from tests.api.principals import ISSUE, LINK, OWNED, TEMPLATE, _ok, _template

    pos = await _till(gql, client, ["members:read", "members:write", "orders:write"])
    member, order = await _member_with_order(pos)
    admin = await sign_in_staff(gql, "admin@test.cn")
    tpl = await _ok(admin, TEMPLATE, {"in": _template()}, "couponTemplateCreate")
    issue = {"t": tpl["code"], "ids": [member], "b": serial("AC-B")}
    await _ok(admin, ISSUE, issue, "couponIssue")
    link = {"id": member, "ch": "ECOMMERCE_BUYER", "x": serial("ac-buyer-")}
    await _ok(pos, LINK, link, "identityLink")
    owned = (await admin(OWNED, {"id": member}))["data"]["member"]
    return {
        "Member": member,
        "Order": order,
        "MemberIdentity": owned["identities"][0]["id"],
        "Coupon": owned["coupons"]["edges"][0]["node"]["id"],
        "LedgerEntry": owned["points"]["history"]["edges"][0]["node"]["id"],
    }


async def test_a_partner_reads_through_node_exactly_what_its_typed_path_gives(gql, client, seed):
    objects = await _member_with_everything(gql, client)
    member = objects["Member"]
    held = ["members:read", "members:write", "loyalty:read", "orders:read"]
    app, secret = await create_partner(serial("node-partner"), held)
    expected = {  # type -> the scopes the typed path needs, all of them
        "Member": {"members:read"},
        "MemberIdentity": {"members:read"},
        "Order": {"members:read", "orders:read"},
        "Coupon": {"members:read", "loyalty:read"},
        "LedgerEntry": {"members:read", "loyalty:read"},
    }
    for n in range(1, 1 << len(held)):  # every non-empty choice (none asked: all held)
        scopes = {s for i, s in enumerate(held) if n >> i & 1}
        partner = gql.as_(await partner_token(client, (app.client_id, secret), " ".join(scopes)))
        for type_name, gid in objects.items():
            by_node = (await partner(NODE, {"id": gid}))["data"]["node"]
            path = LOOKUP % OWNED_PATHS.get(type_name, "id")
            typed = gid in _ids((await partner(path, {"id": member})).get("data"))
            assert (by_node is not None) == typed == (expected[type_name] <= scopes), (
                sorted(scopes),
                type_name,
                by_node,
                typed,
            )


async def test_a_partner_reads_a_member_by_id_as_memberlookup_shows_it(gql, client, seed):
    objects = await _member_with_everything(gql, client)
    reader = await _till(gql, client, ["members:read"])
    r = await reader(PARTNER_MEMBER, {"id": objects["Member"]})
    assert "errors" not in r, r
    seen = r["data"]
    assert seen["byNode"] == seen["byId"] == seen["byLookup"]
    assert seen["byNode"]["id"] == objects["Member"]
    assert seen["byNode"]["phone"].count("*") == 4 and seen["byNode"]["birthday"] is None
    assert seen["byNode"]["card"]["number"]
    # without members:read: neither node nor member(id:) nor memberLookup reaches the member
    writer = await _till(gql, client, ["members:write", "loyalty:read", "orders:read"])
    r = await writer(PARTNER_MEMBER, {"id": objects["Member"]})
    assert r["data"] is None  # memberLookup is non-null: the null goes up
    denied = {e["path"][0]: e["extensions"] for e in r["errors"]}
    assert denied == {
        k: {"code": "FORBIDDEN", "requiredScope": "members:read"} for k in ("byId", "byLookup")
    }
    for type_name in ("Member", "Order", "Coupon", "LedgerEntry"):
        assert (await writer(NODE, {"id": objects[type_name]})) == {"data": {"node": None}}


# --- id arguments take global ids of their type -------------------------------------------


async def test_id_arguments_refuse_a_global_id_of_another_type(gql, seed):
    admin = await sign_in_staff(gql, "admin@test.cn")
    member = to_base64("Member", 1)
    before = (
        await MemberIdentity.all().count(),
        await MemberMerge.filter(undone_at=None).count(),
        await DeadLetter.filter(replayed_at=None).count(),
    )
    calls = [
        ("identityUnlink(identityId: $id, memberId: $id)", "identityId"),
        ('memberUnmerge(mergeId: $id, reason: "错误的 id")', "mergeId"),
        ("deadLetterReplay(id: $id)", "id"),
    ]
    for call, field in calls:
        doc = "mutation($id: ID!) { r: %s { __typename ... on InvalidInputError { field } } }"
        for bad in (member, "42"):  # another type's id, a raw integer
            r = (await admin(doc % call, {"id": bad}))["data"]["r"]
            assert r == {"__typename": "InvalidInputError", "field": field}, (call, bad, r)
    after = (
        await MemberIdentity.all().count(),
        await MemberMerge.filter(undone_at=None).count(),
        await DeadLetter.filter(replayed_at=None).count(),
    )
    assert after == before


# --- partner scopes ---------------------------------------------------------------------------


async def test_orders_need_orders_read_and_points_need_loyalty_read(gql, client, seed):
    pos = await _till(gql, client, ["members:read", "members:write", "orders:write"])
    member, order = await _member_with_order(pos)
    loyalty = await _till(gql, client, ["members:read", "loyalty:read"])
    orders = await _till(gql, client, ["members:read", "orders:read"])

    r = await loyalty(MEMBER_VIEW, {"id": member})
    # Member.orders is nullable: the denial nulls it alone, the rest of the member stays
    assert r["data"]["memberLookup"]["orders"] is None
    assert r["data"]["memberLookup"]["points"] is not None
    (error,) = r["errors"]
    assert error["path"] == ["memberLookup", "orders"]
    assert error["extensions"] == {"code": "FORBIDDEN", "requiredScope": "orders:read"}
    points_only = LOOKUP % "points { balance pending }"
    points = (await loyalty(points_only, {"id": member}))["data"]["memberLookup"]["points"]
    assert points["balance"] + points["pending"] == 88

    r = await orders(MEMBER_VIEW, {"id": member})
    (error,) = r["errors"]
    assert error["path"] == ["memberLookup", "points"]
    assert error["extensions"] == {"code": "FORBIDDEN", "requiredScope": "loyalty:read"}
    orders_only = LOOKUP % "orders(first: 5) { edges { node { id } } }"
    edges = (await orders(orders_only, {"id": member}))["data"]["memberLookup"]["orders"]["edges"]
    assert [e["node"]["id"] for e in edges] == [order]
    # by id as well: orders:read alone does not reach a member (members:read does)
    assert (await orders(NODE, {"id": order}))["data"]["node"]["externalId"]
    orders_alone = await _till(gql, client, ["orders:read"])
    assert (await orders_alone(NODE, {"id": order})) == {"data": {"node": None}}


async def test_the_demo_till_can_read_the_points_it_spends(gql, client, seed):
    app, secret = await create_partner(serial("demo-till"), list(DEMO_PARTNER_SCOPES))
    asked = "members:read loyalty:read orders:read orders:write coupons:redeem"
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": asked},
        auth=(app.client_id, secret),
    )
    assert response.status_code == 200, response.text
    assert set(response.json()["scope"].split()) == set(asked.split())
    till = gql.as_(response.json()["access_token"])
    writer = await _till(gql, client, ["members:read", "members:write", "orders:write"])
    member, order = await _member_with_order(writer)
    seen = (await till(MEMBER_VIEW, {"id": member}))["data"]["memberLookup"]
    assert seen["points"]["balance"] + seen["points"]["pending"] == 88
    assert [e["node"]["id"] for e in seen["orders"]["edges"]] == [order]
    assert "catalog:write" not in DEMO_PARTNER_SCOPES  # the catalogue comes from HQ


# --- denials worded for the caller --------------------------------------------------------


async def test_denials_say_sign_in_or_what_is_missing_for_each_kind(gql, client, seed, app):
    from tests.factories import as_member

    members = "{ members(first: 1) { edges { cursor } } }"
    anonymous = (await gql(members))["errors"][0]
    assert anonymous["extensions"] == {"code": "UNAUTHENTICATED"}
    assert anonymous["message"].startswith("Sign in first")
    me = (await gql("{ me { id } }"))["errors"][0]
    assert me["extensions"] == {"code": "UNAUTHENTICATED"}

    pos = await _till(gql, client, ["members:read", "members:write", "orders:write"])
    gid, _ = await _member_with_order(pos)
    member = await as_member(gql, app, int(GlobalID.from_id(gid).node_id))
    as_member_error = (await member(members))["errors"][0]
    assert as_member_error["extensions"] == {"code": "FORBIDDEN"}
    assert as_member_error["message"] == ("Members cannot list members or read their service view.")

    narrow = await _till(gql, client, ["orders:write"])
    lookup = '{ memberLookup(ref: {cardNumber: "1"}) { __typename } }'
    scope_error = (await narrow(lookup))["errors"][0]
    assert scope_error["extensions"] == {"code": "FORBIDDEN", "requiredScope": "members:read"}
    assert scope_error["message"] == (
        "This needs the partner scope members:read (to look members up)."
    )
    no_scope_will_do = (await narrow(members))["errors"][0]
    assert no_scope_will_do["extensions"] == {"code": "FORBIDDEN"}
    assert no_scope_will_do["message"] == (
        "Partner apps cannot list members or read their service view."
    )

    store = await sign_in_staff(gql, "sh01@test.cn")
    staff_error = (await store("{ auditLog(first: 1) { edges { cursor } } }"))["errors"][0]
    assert staff_error["extensions"] == {"code": "FORBIDDEN"}
    assert staff_error["message"] == "The staff role store_staff cannot read the audit log."
    for error in (as_member_error, scope_error, no_scope_will_do, staff_error):
        assert "staff role does not allow" not in error["message"]
