"""Coupons through the API: issuing and claiming, validation reasons, single-use
redemption, rollback on refund or cancel, the member's lists (templates, staff issuing
and reports: test_coupon_templates.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain import clock
from domain.coupons.tables import Coupon, CouponRedemption, CouponTemplate
from domain.events.tables import OutboxEvent
from tests.conftest import partner_token
from tests.factories import (
    CLAIM,
    MY_COUPONS,
    ORDER,
    REDEEM,
    REFUND,
    VALIDATE,
    as_member,
    draft,
    issue,
    order_id,
    order_input,
    pos_and_member,
    redeemer,
    state,
    template,
)

VOID = """mutation($code: String!, $o: String!) {
  couponRedemptionVoid(code: $code, orderExternalId: $o) {
  __typename ... on CouponRedemptionVoidSuccess { couponStatus replayed }
  ... on UserError { code message } } }"""


async def test_validate_explains_every_reason_and_changes_nothing(gql, client, seed, app):
    _, _, pk = await pos_and_member(gql, client, seed)
    till = await redeemer(gql, client)
    narrow = await template(
        gql, stores=["SH02"], channels=["ECOMMERCE"], includeSkus=["690000000999"]
    )
    (code,) = await issue(gql, narrow, pk)
    before = await state(code)
    r = (await till(VALIDATE, {"code": code, "order": draft(5_000)}))["data"]["couponValidate"]
    assert r["applicable"] is False and r["discountFen"] == 0
    assert {f["reason"] for f in r["failures"]} == {
        "WRONG_STORE",
        "WRONG_CHANNEL",
        "CATEGORY_EXCLUDED",
        "BELOW_THRESHOLD",
    }
    assert r["description"].startswith("满100减20, ")

    # fine for the right order: the discount, nothing written either
    ok = await till(
        VALIDATE,
        {
            "code": code,
            "order": {
                "storeCode": "SH02",
                "channel": "ECOMMERCE",
                "lines": [{"sku": "690000000999", "quantity": 2, "unitPriceFen": 6_000}],
            },
        },
    )
    ok = ok["data"]["couponValidate"]
    assert (ok["applicable"], ok["discountFen"], ok["failures"]) == (True, 2_000, [])
    assert await state(code) == before == ("ACTIVE", [])

    # stacking: an exclusive coupon and one of the same group are named
    exclusive = await template(gql, exclusive=True)
    grouped = await template(gql, stackingGroup="weekly")
    (x,) = await issue(gql, exclusive, pk)
    g1, g2 = await issue(gql, grouped, pk) + await issue(gql, grouped, pk)
    r = await till(VALIDATE, {"code": g1, "order": draft(otherCouponCodes=[x, g2])})
    conflicts = {
        (f["reason"], f["conflictingCode"]) for f in r["data"]["couponValidate"]["failures"]
    }
    assert conflicts == {("NOT_STACKABLE", x), ("NOT_STACKABLE", g2)}

    # expired: the day after its validity
    clock.advance(timedelta(days=32))
    later = await redeemer(gql, client)
    r = await later(VALIDATE, {"code": g1, "order": draft()})
    assert [f["reason"] for f in r["data"]["couponValidate"]["failures"]] == ["EXPIRED"]


async def test_period_limit_and_a_member_sees_only_their_own(gql, client, seed, app):
    _, _, pk = await pos_and_member(gql, client, seed)
    _, _, other = await pos_and_member(gql, client, seed)
    once_a_day = await template(gql, periodLimit=1, limitPeriod="DAY")
    c1, c2 = await issue(gql, once_a_day, pk) + await issue(gql, once_a_day, pk)
    till = await redeemer(gql, client)
    ok = await till(REDEEM, {"in": {"code": c1, "orderExternalId": order_id(), "order": draft()}})
    assert ok["data"]["couponRedeem"]["__typename"] == "CouponRedeemSuccess"
    r = await till(REDEEM, {"in": {"code": c2, "orderExternalId": order_id(), "order": draft()}})
    r = r["data"]["couponRedeem"]
    assert r["__typename"] == "CouponNotApplicableError"
    assert [x["reason"] for x in r["reasons"]] == ["LIMIT_REACHED"]
    assert await state(c2) == ("ACTIVE", [])

    me = await as_member(gql, app, pk)
    r = await me(VALIDATE, {"code": c2, "order": draft()})
    assert r["data"]["couponValidate"]["failures"][0]["reason"] == "LIMIT_REACHED"
    stranger = await as_member(gql, app, other)
    r = await stranger(VALIDATE, {"code": c2, "order": draft()})
    assert r["data"]["couponValidate"]["__typename"] == "NotFoundError"


async def test_redeem_once_retry_for_the_same_order_and_void(gql, client, seed, app):
    _, _, pk = await pos_and_member(gql, client, seed)
    (code,) = await issue(gql, await template(gql), pk)
    till = await redeemer(gql, client)
    order = order_id()
    body = {"in": {"code": code, "orderExternalId": order, "order": draft(12_000)}}
    first = (await till(REDEEM, body))["data"]["couponRedeem"]
    assert first["__typename"] == "CouponRedeemSuccess" and first["replayed"] is False
    assert first["redemption"]["discountFen"] == 2_000
    again = (await till(REDEEM, body))["data"]["couponRedeem"]
    assert again["replayed"] is True and again["redemption"] == first["redemption"]
    assert await state(code) == ("USED", [("REDEEMED", 2_000)])

    other = {"in": {"code": code, "orderExternalId": order_id(), "order": draft(12_000)}}
    r = (await till(REDEEM, other))["data"]["couponRedeem"]
    assert r["__typename"] == "CouponAlreadyRedeemedError"
    assert await state(code) == ("USED", [("REDEEMED", 2_000)])
    # another partner cannot void or replay this till's redemption
    shop = await redeemer(gql, client)
    r = (await shop(VOID, {"code": code, "o": order}))["data"]["couponRedemptionVoid"]
    assert r["__typename"] == "NotFoundError"
    assert await state(code) == ("USED", [("REDEEMED", 2_000)])

    # the order is cancelled: the coupon is back, once
    for replayed in (False, True):
        r = (await till(VOID, {"code": code, "o": order}))["data"]["couponRedemptionVoid"]
        assert (r["couponStatus"], r["replayed"]) == ("ACTIVE", replayed)
    assert await state(code) == ("ACTIVE", [("VOIDED", 2_000)])
    r = (await till(REDEEM, other))["data"]["couponRedeem"]
    assert r["__typename"] == "CouponRedeemSuccess"


async def test_the_relay_runs_only_after_a_mutation_that_recorded_events(
    gql, client, seed, app, monkeypatch
):
    pos, card, pk = await pos_and_member(gql, client, seed)
    (code,) = await issue(gql, await template(gql), pk)
    till = await redeemer(gql, client)
    kicks = []
    monkeypatch.setattr(app.state.relay, "kick", lambda: kicks.append(1))
    body = {"in": {"code": code, "orderExternalId": order_id(), "order": draft(12_000)}}
    r = (await till(REDEEM, body))["data"]["couponRedeem"]
    assert r["__typename"] == "CouponRedeemSuccess" and kicks == []  # it records no event
    orders = await OutboxEvent.filter(topic="order.created").count()
    r = (await pos(ORDER, {"in": order_input(card)}))["data"]["orderCreate"]
    assert r["__typename"] == "OrderCreateSuccess" and kicks == [1]  # order.created
    assert await OutboxEvent.filter(topic="order.created").count() == orders + 1


async def test_order_create_redeems_and_a_full_refund_returns_only_a_valid_coupon(
    gql, client, seed, app
):
    pos, card, pk = await pos_and_member(gql, client, seed)
    short = await template(gql, validityDays=2)
    keep, lapse = await issue(gql, short, pk) + await issue(gql, short, pk)
    before_orders = await CouponRedemption.filter(member_id=pk).count()

    # a coupon that does not apply refuses the whole order: nothing recorded
    small = order_input(card, fen=5_000, couponCodes=[keep])
    r = (await pos(ORDER, {"in": small}))["data"]["orderCreate"]
    assert r["__typename"] == "CouponNotApplicableError", r
    assert await state(keep) == ("ACTIVE", [])
    assert await CouponRedemption.filter(member_id=pk).count() == before_orders

    first = order_input(card, fen=10_000, couponCodes=[keep])
    second = order_input(card, fen=10_000, couponCodes=[lapse])
    for o in (first, second):
        r = (await pos(ORDER, {"in": o}))["data"]["orderCreate"]
        assert r["__typename"] == "OrderCreateSuccess", r
    assert await state(keep) == await state(lapse) == ("USED", [("REDEEMED", 2_000)])
    assert await CouponRedemption.filter(coupon__code=keep, order_id__isnull=False).exists()
    # the same code on another order: typed refusal, nothing changes
    r = (await pos(ORDER, {"in": order_input(card, couponCodes=[keep])}))["data"]["orderCreate"]
    assert r["__typename"] == "CouponAlreadyRedeemedError"

    full = {"orderExternalId": first["externalId"], "refundExternalId": order_id()}
    r = (await pos(REFUND, {"in": full | {"amountFen": 10_000}}))["data"]["orderRefund"]
    assert r["order"]["status"] == "REFUNDED"
    assert await state(keep) == ("ACTIVE", [("VOIDED", 2_000)])

    clock.advance(timedelta(days=4))  # past the second coupon's validity
    late = gql.as_(await partner_token(client, seed["partner"]))
    full = {"orderExternalId": second["externalId"], "refundExternalId": order_id()}
    r = (await late(REFUND, {"in": full | {"amountFen": 10_000}}))["data"]["orderRefund"]
    assert r["order"]["status"] == "REFUNDED"
    assert await state(lapse) == ("EXPIRED", [("VOIDED", 2_000)])


async def test_member_lists_claims_and_descriptions(gql, client, seed, app):
    _, _, pk = await pos_and_member(gql, client, seed)
    until = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)  # 23:59 on 31 December in Shanghai
    offer = await template(
        gql,
        claimable=True,
        totalStock=5,
        perMemberLimit=1,
        validUntil=until.isoformat(),
        validityDays=None,
    )
    ladder = await template(
        gql,
        name="满减阶梯",
        thresholdFen=0,
        valueFen=0,
        ladder=[
            {"thresholdFen": 10_000, "offFen": 2_000},
            {"thresholdFen": 20_000, "offFen": 5_000},
        ],
    )
    me = await as_member(gql, app, pk)
    listed = (await me(MY_COUPONS, {"s": "ACTIVE"}))["data"]["me"]
    claimable = {c["templateCode"]: c for c in listed["claimableCoupons"]}
    assert claimable[offer]["description"] == "满100减20, 2026-12-31 前有效"
    assert claimable[offer]["stockLeft"] == 5

    got = (await me(CLAIM, {"t": offer}))["data"]["couponClaim"]
    assert got["__typename"] == "CouponClaimSuccess"
    assert got["coupon"]["description"] == "满100减20, 2026-12-31 前有效"
    again = (await me(CLAIM, {"t": offer}))["data"]["couponClaim"]
    assert again["reason"] == "LIMIT_REACHED"
    assert await Coupon.filter(member_id=pk, template__code=offer).count() == 1
    assert (await CouponTemplate.get(code=offer)).stock_left == 4
    r = (await me(CLAIM, {"t": ladder}))["data"]["couponClaim"]
    assert r["__typename"] == "NotFoundError"  # not offered for claiming

    (stepped,) = await issue(gql, ladder, pk)
    listed = (await me(MY_COUPONS, {"s": "ACTIVE"}))["data"]["me"]
    mine = {c["node"]["code"]: c["node"] for c in listed["coupons"]["edges"]}
    assert mine[stepped]["description"].startswith("满100减20，满200减50, ")
    assert mine[got["coupon"]["code"]]["status"] == "ACTIVE"
    assert offer not in {c["templateCode"] for c in listed["claimableCoupons"]}
    till = await redeemer(gql, client)
    r = await till(VALIDATE, {"code": stepped, "order": draft(25_000)})
    assert r["data"]["couponValidate"]["discountFen"] == 5_000
    await till(REDEEM, {"in": {"code": stepped, "orderExternalId": order_id(), "order": draft()}})
    used = (await me(MY_COUPONS, {"s": "USED"}))["data"]["me"]["coupons"]["edges"]
    assert [c["node"]["code"] for c in used] == [stepped]


async def test_time_window_and_budget_refuse_with_their_reasons(gql, client, seed, app):
    _, _, pk = await pos_and_member(gql, client, seed)
    today = clock.business_date().isoweekday()
    other_days = [d for d in range(1, 8) if d != today]
    weekdays_only = await template(gql, weekdays=other_days)
    (code,) = await issue(gql, weekdays_only, pk)
    till = await redeemer(gql, client)
    r = (await till(VALIDATE, {"code": code, "order": draft()}))["data"]["couponValidate"]
    assert [f["reason"] for f in r["failures"]] == ["OUTSIDE_HOURS"]

    funded = await template(gql, budgetFen=3_000)  # one 20-yuan discount fits, not two
    first, second = await issue(gql, funded, pk) + await issue(gql, funded, pk)
    ok = await till(
        REDEEM, {"in": {"code": first, "orderExternalId": order_id(), "order": draft()}}
    )
    assert ok["data"]["couponRedeem"]["__typename"] == "CouponRedeemSuccess"
    r = await till(
        REDEEM, {"in": {"code": second, "orderExternalId": order_id(), "order": draft()}}
    )
    r = r["data"]["couponRedeem"]
    assert [x["reason"] for x in r["reasons"]] == ["BUDGET_SPENT"]
    t = await CouponTemplate.get(code=funded)
    assert (t.budget_left_fen, t.discount_given_fen) == (1_000, 2_000)
    assert await state(second) == ("ACTIVE", [])

    # a void gives the discount back to the budget (and the plain template's count too)
    first_order = ok["data"]["couponRedeem"]
    voided = await till(VOID, {"code": first, "o": first_order["redemption"]["orderExternalId"]})
    assert voided["data"]["couponRedemptionVoid"]["couponStatus"] == "ACTIVE"
    t = await CouponTemplate.get(code=funded)
    assert (t.budget_left_fen, t.discount_given_fen) == (3_000, 0)
