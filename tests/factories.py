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
