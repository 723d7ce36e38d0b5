"""How each cell of the access matrix is called: one minimal call per field, the root field
aliased ``f``, with arguments that change nothing the other cells or tests rely on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from strawberry.relay import to_base64

from domain.auth import policy
from tests.api.principals import World, serial

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
    "Query.feedReport": Call(
        '{ f: feedReport(period: {from: "2026-11-01", to: "2026-11-01"}) { __typename } }'
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
    "Mutation.signInUnlock": Call(
        'mutation { f: signInUnlock(kind: STAFF, account: "nobody@matrix.test") { __typename } }'
    ),
    "Mutation.staffDeactivate": Call(
        'mutation { f: staffDeactivate(staffId: "999999999") { __typename } }'
    ),
    "Mutation.partnerDeactivate": Call(
        'mutation { f: partnerDeactivate(clientId: "no-such-client") { __typename } }'
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
    "Mutation.feedItemDismiss": Call(
        'mutation { f: feedItemDismiss(itemId: "x", reason: NOT_INTERESTED) { __typename } }'
    ),
    "Mutation.feedItemRestore": Call('mutation { f: feedItemRestore(itemId: "x") { __typename } }'),
    "Mutation.feedCategoryMute": Call(
        'mutation { f: feedCategoryMute(category: "MATRIX-NONE") { __typename } }'
    ),
    "Mutation.feedCategoryUnmute": Call(
        'mutation { f: feedCategoryUnmute(category: "MATRIX-NONE") { __typename } }'
    ),
    "Mutation.feedPreferencesUpdate": Call(
        "mutation { f: feedPreferencesUpdate(personalised: true) { __typename } }"
    ),
    "Mutation.feedEventsRecord": Call(
        "mutation { f: feedEventsRecord(events: []) { __typename } }"
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
    "Member.feed": _nested("feed(first: 1) { edges { cursor } }"),
    "Member.feedSettings": _nested("feedSettings { personalised }"),
}
NODE = "query($id: ID!) { f: node(id: $id) { id } }"
CALLS |= {
    f"node:{t}": Call(NODE, lambda w, p, t=t: {"id": w.node(t, p)}, node=True)
    for t in policy.NODE_RULES
}
