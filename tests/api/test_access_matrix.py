"""The access matrix: every Query and Mutation field, every Node type through ``node(id:)``
and every object field with a permission, called by every kind of caller.

``MATRIX`` is the expected answer, one row per field, written from the groups below:
``ok`` (no permission error), ``deny`` (the field's permission error, ``UNAUTHENTICATED``
or ``FORBIDDEN``; for ``node`` a null) or ``hidden`` (allowed, but the member asked about
is outside the caller's row scope: null or NotFound). A field of the schema without a row
fails ``test_every_field_has_a_row``: a new field has to say who may call it.
All cells run in one test on one app, with tokens made once (``tests.api.principals``);
how each field is called is in ``tests.api.matrix_calls``.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import GraphQLObjectType

from domain.auth import policy
from schema import build_schema
from tests.api.matrix_calls import CALLS, Call
from tests.api.principals import PARTNERS, PRINCIPALS, STAFF, build_world

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


# --- the expected matrix --------------------------------------------------------------------
LOYALTY = (MEMBERS, MEMBER_STAFF, ("partner:all",))  # a partner needs members:read as well
MATRIX: dict[str, dict[str, str]] = {
    "Query.viewer": row(ANYONE),
    "Query.me": row(MEMBERS),
    "Query.member": row(MEMBERS, MEMBER_STAFF, partner("members:read"), scoped=True),
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
    "Query.feedReport": row(MEMBER_STAFF, ANALYST),
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
    "Mutation.earnRulesUpdate": row(ADMIN),  # marketing proposes campaigns
    "Mutation.pointsCampaignCreate": row(MARKETING),
    "Mutation.productUpsert": row(MARKETING, partner("catalog:write")),
    "Mutation.tierUpsert": row(ADMIN),
    "Mutation.tierOverride": row(ADMIN),
    "Mutation.deadLetterReplay": row(ADMIN),
    "Mutation.signInUnlock": row(ADMIN),
    "Mutation.staffDeactivate": row(ADMIN),
    "Mutation.partnerDeactivate": row(ADMIN),
    "Mutation.couponTemplateCreate": row(MARKETING),
    "Mutation.couponIssue": row(MARKETING),
    "Mutation.couponClaim": row(MEMBERS),
    "Mutation.couponRedeem": row(partner("coupons:redeem")),
    "Mutation.couponRedemptionVoid": row(partner("coupons:redeem")),
    **{
        f"Mutation.{name}": row(MEMBERS)
        for name in (
            "feedItemDismiss",
            "feedItemRestore",
            "feedCategoryMute",
            "feedCategoryUnmute",
            "feedPreferencesUpdate",
            "feedEventsRecord",
        )
    },
    "Member.points": row(*LOYALTY, scoped=True),
    "Member.orders": row(*LOYALTY, scoped=True),
    "Member.coupons": row(*LOYALTY, scoped=True),
    "Member.claimableCoupons": row(*LOYALTY, scoped=True),
    "Member.feed": row(MEMBERS, MEMBER_STAFF, scoped=True),
    # staff may not, but those outside the member's scope get no member to ask it of
    "Member.feedSettings": row(MEMBERS, scoped=True) | dict.fromkeys(OUT_OF_SCOPE, "hidden"),
    # node(id:): every rule on the typed path; member-owned rows also need the member in
    # scope. A partner: a member as memberLookup (members:read), their orders, points and
    # coupons as that member's fields (members:read and orders:read / loyalty:read)
    "node:Member": row(MEMBERS, MEMBER_STAFF, partner("members:read"), scoped=True, node=True),
    "node:MemberIdentity": row(
        MEMBERS, MEMBER_STAFF, partner("members:read"), scoped=True, node=True
    ),
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
    if any(e.get("message") == "Unexpected error." for e in errors):
        return "error: unexpected"  # never an answer, whoever asks
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
