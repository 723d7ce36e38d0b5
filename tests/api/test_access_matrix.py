"""The access matrix: every Query and Mutation field, every Node type through ``node(id:)``
and every object field with a permission, called by every kind of caller.

``MATRIX`` is the expected answer, one row per field, written from the groups below:
``ok`` (no permission error), ``deny`` (the field's permission error, ``UNAUTHENTICATED``
or ``FORBIDDEN``; for ``node`` a null) or ``hidden`` (allowed, but the member asked about
is outside the caller's row scope: null or NotFound). A field of the schema without a row
fails ``test_every_field_has_a_row``: a new field has to say who may call it.
All cells run in one test on one app, with tokens made once (``tests.api.principals``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from graphql import GraphQLObjectType
from strawberry.relay import to_base64

from domain.auth import policy
from schema import build_schema
from tests.api.principals import PARTNERS, PRINCIPALS, STAFF, World, build_world, serial

# --- who: groups of principals ------------------------------------------------------------
ANYONE = PRINCIPALS
SIGNED_IN = tuple(p for p in PRINCIPALS if p != "anonymous")
MEMBERS = ("member", "member-other")
STORE = ("store", "store-other-store", "store-other-region")
AGENTS = ("region", "region-other", "agent")
FRONT_DESK = (*STORE, *AGENTS, "admin")
MEMBER_STAFF = (*FRONT_DESK, "marketing")
SERVICE = (*AGENTS, "admin")
MARKETING = ("marketing", "admin")
ADMIN = ("admin",)
ANALYST = ("analyst",)
# asked about member A (B for member-other), these are outside their row scope
OUT_OF_SCOPE = {"member-other", "store-other-region", "region-other"}
assert set(STAFF) >= {*FRONT_DESK, "marketing", "analyst"}


def partner(*scopes: str) -> tuple[str, ...]:
    names = tuple(f"partner:{s}" for s in scopes)
    assert set(names) <= set(PARTNERS), names
    return (*names, "partner:all")


def row(*groups: Iterable[str], scoped: bool = False, node: bool = False) -> dict[str, str]:
    """ok for the principals in ``groups``, deny for everyone else; ``scoped``: those
    asking about a member outside their scope see it hidden (for ``node``: null = deny)."""
    allowed = {p for g in groups for p in g}
    out = {p: "ok" if p in allowed else "deny" for p in PRINCIPALS}
    if scoped:
        for p in OUT_OF_SCOPE & allowed:
            out[p] = "deny" if node else "hidden"
    return out


# --- how: one minimal call per field (the root field is aliased ``f``) --------------------
Vars = Callable[[World, str], dict]


@dataclass(frozen=True)
class Call:
    doc: str | Callable[[str], str]
    variables: Vars = field(default=lambda w, p: {})
    scoped: bool = False  # asks about the caller's target member (hidden when out of scope)
    node: bool = False

    def document(self, principal: str) -> str:
        return self.doc(principal) if callable(self.doc) else self.doc


def target(w: World, p: str) -> dict:
    return {"id": w.target(p)}


def nowhere(type_name: str) -> str:
    return to_base64(type_name, 999_999_999)


DRAFT = '{storeCode: "SH01", channel: POS, lines: []}'
CALLS: dict[str, Call] = {
    # queries
    "Query.viewer": Call("{ f: viewer { kind } }"),
    "Query.me": Call("{ f: me { id } }"),
    "Query.member": Call("query($id: ID!) { f: member(id: $id) { id } }", target, True),
    "Query.members": Call("{ f: members(first: 1) { edges { cursor } } }"),
    "Query.memberLookup": Call(
        "query($id: ID!) { f: memberLookup(ref: {memberId: $id}) { __typename } }", target, True
    ),
    "Query.memberByScanCode": Call(
        '{ f: memberByScanCode(code: "%s") { __typename } }' % ("0" * 36)
    ),
    "Query.customer360": Call(
        "query($id: ID!) { f: customer360(memberId: $id) { member { id } } }", target, True
    ),
    "Query.products": Call("{ f: products(first: 1) { edges { cursor } } }"),
    "Query.rewards": Call("{ f: rewards { code } }"),
    "Query.earnRules": Call("{ f: earnRules { pointsPerYuan } }"),
    "Query.tiers": Call("{ f: tiers { code } }"),
    "Query.auditLog": Call("{ f: auditLog(first: 1) { edges { cursor } } }"),
    "Query.deadLetters": Call("{ f: deadLetters(first: 1) { edges { cursor } } }"),
    "Query.notifications": Call(
        "query($id: ID!) { f: notifications(memberId: $id, first: 1) { id } }", target, True
    ),
    "Query.couponTemplates": Call("{ f: couponTemplates { code } }"),
    "Query.couponValidate": Call(
        '{ f: couponValidate(code: "NOPE", order: ' + DRAFT + ") { __typename } }"
    ),
    # mutations (arguments that change nothing others rely on)
    "Mutation.otpRequest": Call('mutation { f: otpRequest(phone: "123") { __typename } }'),
    "Mutation.memberSignIn": Call(
        'mutation { f: memberSignIn(phone: "123", code: "000000") { __typename } }'
    ),
    "Mutation.staffSignIn": Call(
        'mutation { f: staffSignIn(email: "nobody@matrix.test", password: "wrong password")'
        " { __typename } }"
    ),
    "Mutation.tokenRefresh": Call('mutation { f: tokenRefresh(refreshToken: "x") { __typename } }'),
    "Mutation.signOut": Call('mutation { f: signOut(refreshToken: "x") { __typename } }'),
    "Mutation.memberRegister": Call(
        'mutation { f: memberRegister(input: {phone: "123"}) { __typename } }'
    ),
    "Mutation.memberUpdate": Call("mutation { f: memberUpdate(input: {}) { __typename } }"),
    "Mutation.memberUpdateByStaff": Call(
        "mutation($id: ID!) { f: memberUpdateByStaff(memberId: $id, "
        'input: {displayName: "矩阵"}) { __typename } }',
        target,
        True,
    ),
    "Mutation.memberRevealPersonalData": Call(
        "mutation($id: ID!) { f: memberRevealPersonalData(memberId: $id, "
        'reason: "access matrix", fields: [PHONE]) { __typename } }',
        target,
        True,
    ),
    **{
        f"Mutation.{name}": Call(
            "mutation($id: ID) { f: " + name + "(memberId: $id) { __typename } }", target, True
        )
        for name in ("cardIssue", "cardReportLost", "cardReplace")
    },
    "Mutation.identityLink": Call(
        "mutation($id: ID, $x: String!) { f: identityLink(memberId: $id, channel: ECOMMERCE_BUYER, "
        "externalId: $x) { __typename } }",
        lambda w, p: target(w, p) | {"x": serial("matrix-buyer-")},
        True,
    ),
    "Mutation.identityUnlink": Call(
        "mutation($id: ID, $i: ID!) { f: identityUnlink(identityId: $i, memberId: $id) "
        "{ __typename } }",
        lambda w, p: target(w, p) | {"i": nowhere("MemberIdentity")},
    ),
    "Mutation.consentUpdate": Call("mutation { f: consentUpdate(consents: []) { __typename } }"),
    "Mutation.memberMerge": Call(
        "mutation($id: ID!) { f: memberMerge(survivorId: $id, absorbedId: $id, "
        'reason: "access matrix") { __typename } }',
        target,
    ),
    "Mutation.memberUnmerge": Call(
        'mutation($m: ID!) { f: memberUnmerge(mergeId: $m, reason: "access matrix") '
        "{ __typename } }",
        lambda w, p: {"m": nowhere("MemberMerge")},
    ),
    "Mutation.orderCreate": Call(
        'mutation { f: orderCreate(input: {externalId: "MATRIX-NONE", channel: POS, '
        'storeCode: "SH01", paidAt: "2026-11-20T10:00:00Z", lines: [], totalPaidFen: 0}) '
        "{ __typename } }"
    ),
    "Mutation.orderRefund": Call(
        'mutation { f: orderRefund(input: {orderExternalId: "NOPE", refundExternalId: "NOPE", '
        "amountFen: 1}) { __typename } }"
    ),
    "Mutation.pointsAdjust": Call(
        "mutation($id: ID!) { f: pointsAdjust(memberId: $id, points: 1, "
        'reason: "access matrix") { __typename } }',
        target,
        True,
    ),
    "Mutation.rewardRedeem": Call(
        'mutation($r: String!) { f: rewardRedeem(rewardCode: "NOPE", requestId: $r) '
        "{ __typename } }",
        lambda w, p: {"r": serial("matrix-")},
    ),
    "Mutation.rewardUpsert": Call(
        'mutation { f: rewardUpsert(input: {code: "MATRIX-BAD", name: "x", kind: "NOPE", '
        "pointsCost: 1}) { __typename } }"
    ),
    "Mutation.earnRulesUpdate": Call(
        "mutation { f: earnRulesUpdate(pointsPerYuan: -1) { __typename } }"
    ),
    "Mutation.pointsCampaignCreate": Call(
        'mutation { f: pointsCampaignCreate(input: {name: "x", multiplierPct: 1, '
        'startsOn: "2099-01-01", endsOn: "2099-01-02"}) { __typename } }'
    ),
    "Mutation.productUpsert": Call("mutation { f: productUpsert(products: []) { __typename } }"),
    "Mutation.tierUpsert": Call(
        'mutation { f: tierUpsert(input: {code: "MATRIX-BAD", name: "x", rank: -1, '
        "thresholdFen: -1, benefits: {}}) { __typename } }"
    ),
    "Mutation.tierOverride": Call(
        'mutation($id: ID!) { f: tierOverride(memberId: $id, tierCode: "NOPE", '
        'until: "2099-01-01T00:00:00Z", reason: "access matrix") { __typename } }',
        target,
    ),
    "Mutation.deadLetterReplay": Call(
        "mutation($d: ID!) { f: deadLetterReplay(id: $d) { __typename } }",
        lambda w, p: {"d": nowhere("DeadLetter")},
    ),
    "Mutation.couponTemplateCreate": Call(
        'mutation { f: couponTemplateCreate(input: {code: "MATRIX-BAD", name: "x", '
        "kind: AMOUNT_OFF, validityDays: -1}) { __typename } }"
    ),
    "Mutation.couponIssue": Call(
        'mutation($id: ID!, $b: String!) { f: couponIssue(templateCode: "NOPE", '
        "memberIds: [$id], batchId: $b) { __typename } }",
        lambda w, p: target(w, p) | {"b": serial("matrix-")},
    ),
    "Mutation.couponClaim": Call(
        'mutation { f: couponClaim(templateCode: "NOPE") { __typename } }'
    ),
    "Mutation.couponRedeem": Call(
        'mutation { f: couponRedeem(input: {code: "NOPE", orderExternalId: "NOPE", '
        "order: " + DRAFT + "}) { __typename } }"
    ),
    "Mutation.couponRedemptionVoid": Call(
        'mutation { f: couponRedemptionVoid(code: "NOPE", orderExternalId: "NOPE") { __typename } }'
    ),
}


def _nested(selection: str) -> Call:
    """A Member field, reached as each kind of caller reaches a member by id."""

    def doc(p: str) -> str:
        if p.startswith("partner:"):
            return (
                "query($id: ID!) { f: memberLookup(ref: {memberId: $id}) "
                "{ ... on Member { " + selection + " } } }"
            )
        return "query($id: ID!) { f: member(id: $id) { " + selection + " } }"

    return Call(doc, target, True)


CALLS |= {
    "Member.points": _nested("points { balance }"),
    "Member.orders": _nested("orders(first: 1) { edges { cursor } }"),
    "Member.coupons": _nested("coupons(first: 1) { edges { cursor } }"),
    "Member.claimableCoupons": _nested("claimableCoupons { templateCode }"),
}
NODE = "query($id: ID!) { f: node(id: $id) { id } }"
CALLS |= {
    f"node:{t}": Call(NODE, lambda w, p, t=t: {"id": w.node(t, p)}, t in policy.NODE_RULES, True)
    for t in policy.NODE_RULES
}

# --- the expected matrix --------------------------------------------------------------------
LOYALTY = (MEMBERS, MEMBER_STAFF, ("partner:all",))  # a partner needs members:read as well
MATRIX: dict[str, dict[str, str]] = {
    "Query.viewer": row(ANYONE),
    "Query.me": row(MEMBERS),
    "Query.member": row(MEMBERS, MEMBER_STAFF, scoped=True),
    "Query.members": row(MEMBER_STAFF),
    "Query.memberLookup": row(partner("members:read"), FRONT_DESK, scoped=True),
    "Query.memberByScanCode": row(partner("members:read")),
    "Query.customer360": row(MEMBER_STAFF, scoped=True),
    "Query.products": row(SIGNED_IN),
    "Query.rewards": row(SIGNED_IN),
    "Query.earnRules": row(MARKETING),
    "Query.tiers": row(SIGNED_IN),
    "Query.auditLog": row(ADMIN),
    "Query.deadLetters": row(ADMIN),
    "Query.notifications": row(MEMBER_STAFF, scoped=True),
    "Query.couponTemplates": row(MARKETING, ANALYST),
    "Query.couponValidate": row(MEMBERS, partner("coupons:redeem")),
    "Mutation.otpRequest": row(ANYONE),
    "Mutation.memberSignIn": row(ANYONE),
    "Mutation.staffSignIn": row(ANYONE),
    "Mutation.tokenRefresh": row(ANYONE),
    "Mutation.signOut": row(ANYONE),
    "Mutation.memberRegister": row(partner("members:write"), FRONT_DESK),
    "Mutation.memberUpdate": row(MEMBERS),
    "Mutation.memberUpdateByStaff": row(FRONT_DESK, scoped=True),
    "Mutation.memberRevealPersonalData": row(SERVICE, scoped=True),
    "Mutation.cardIssue": row(MEMBERS, FRONT_DESK, scoped=True),
    "Mutation.cardReportLost": row(MEMBERS, FRONT_DESK, scoped=True),
    "Mutation.cardReplace": row(MEMBERS, FRONT_DESK, scoped=True),
    "Mutation.identityLink": row(MEMBERS, partner("members:write"), FRONT_DESK, scoped=True),
    "Mutation.identityUnlink": row(MEMBERS, SERVICE),
    "Mutation.consentUpdate": row(MEMBERS),
    "Mutation.memberMerge": row(SERVICE),
    "Mutation.memberUnmerge": row(SERVICE),
    "Mutation.orderCreate": row(partner("orders:write")),
    "Mutation.orderRefund": row(partner("orders:write")),
    "Mutation.pointsAdjust": row(SERVICE, scoped=True),
    "Mutation.rewardRedeem": row(MEMBERS),
    "Mutation.rewardUpsert": row(MARKETING),
    "Mutation.earnRulesUpdate": row(MARKETING),
    "Mutation.pointsCampaignCreate": row(MARKETING),
    "Mutation.productUpsert": row(MARKETING, partner("catalog:write")),
    "Mutation.tierUpsert": row(ADMIN),
    "Mutation.tierOverride": row(ADMIN),
    "Mutation.deadLetterReplay": row(ADMIN),
    "Mutation.couponTemplateCreate": row(MARKETING),
    "Mutation.couponIssue": row(MARKETING),
    "Mutation.couponClaim": row(MEMBERS),
    "Mutation.couponRedeem": row(partner("coupons:redeem")),
    "Mutation.couponRedemptionVoid": row(partner("coupons:redeem")),
    "Member.points": row(*LOYALTY, scoped=True),
    "Member.orders": row(*LOYALTY, scoped=True),
    "Member.coupons": row(*LOYALTY, scoped=True),
    "Member.claimableCoupons": row(*LOYALTY, scoped=True),
    # node(id:): the typed field's rule; member-owned rows also need the member in scope
    # (a partner reaches members only with members:read or members:write)
    "node:Member": row(MEMBERS, MEMBER_STAFF, scoped=True, node=True),
    "node:MemberIdentity": row(MEMBERS, MEMBER_STAFF, scoped=True, node=True),
    "node:MemberMerge": row(MEMBER_STAFF, scoped=True, node=True),
    "node:Notification": row(MEMBER_STAFF, scoped=True, node=True),
    "node:Order": row(*LOYALTY, scoped=True, node=True),
    "node:Coupon": row(*LOYALTY, scoped=True, node=True),
    "node:LedgerEntry": row(*LOYALTY, scoped=True, node=True),
    "node:Reward": row(SIGNED_IN, node=True),
    "node:PointsCampaign": row(MARKETING, node=True),
    "node:CouponTemplate": row(MARKETING, ANALYST, node=True),
    "node:Product": row(SIGNED_IN, node=True),
    "node:AuditEntry": row(ADMIN, node=True),
    "node:DeadLetter": row(ADMIN, node=True),
}


def schema_entries() -> set[str]:
    """What the matrix must cover, read from the schema itself."""
    from domain.config import Settings

    gql_schema = build_schema(Settings(app_env="test"))._schema
    wanted: set[str] = set()
    for type_name in ("Query", "Mutation"):
        root = gql_schema.type_map[type_name]
        assert isinstance(root, GraphQLObjectType)
        wanted |= {f"{type_name}.{name}" for name in root.fields if name != "node"}
    node = gql_schema.type_map["Node"]
    for t in gql_schema.type_map.values():
        if not isinstance(t, GraphQLObjectType) or t.name in ("Query", "Mutation"):
            continue
        if node in t.interfaces:
            wanted.add(f"node:{t.name}")
        for name, f in t.fields.items():
            definition = (f.extensions or {}).get("strawberry-definition")
            if definition is not None and definition.permission_classes:
                wanted.add(f"{t.name}.{name}")
    return wanted


def test_every_field_has_a_row():
    wanted = schema_entries()
    assert sorted(wanted - set(MATRIX)) == [], "add these fields to MATRIX (who may call them)"
    assert sorted(set(MATRIX) - wanted) == [], "these rows name fields the schema no longer has"
    assert set(CALLS) == set(MATRIX)
    assert {k.removeprefix("node:") for k in MATRIX if k.startswith("node:")} == set(
        policy.NODE_RULES
    )


def outcome(answer: dict, call: Call) -> str:
    errors = answer.get("errors") or []
    codes = {(e.get("extensions") or {}).get("code") for e in errors}
    if codes & {"FORBIDDEN", "UNAUTHENTICATED"}:
        return "deny"
    value = (answer.get("data") or {}).get("f")
    typename = value.get("__typename") if isinstance(value, dict) else None
    if typename == "PermissionDeniedError":
        return "deny"
    if call.node:
        return "ok" if value else "deny"
    if call.scoped and (value is None or typename == "NotFoundError" or "NOT_FOUND" in codes):
        return "hidden"
    if errors:
        return f"error: {errors[0].get('message')}"
    return "ok"


async def test_access_matrix(gql, client, app, ladder):
    world = await build_world(gql, client, app)
    wrong = []
    for principal in PRINCIPALS:
        caller = world.callers[principal]
        for key, call in CALLS.items():
            answer = await caller(call.document(principal), call.variables(world, principal))
            got, expected = outcome(answer, call), MATRIX[key][principal]
            if got != expected:
                wrong.append(f"{key} as {principal}: expected {expected}, got {got}")
    assert wrong == [], "\n".join(wrong)
