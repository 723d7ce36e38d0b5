"""A FROZEN member earns nothing, spends nothing and uses no coupons, whoever asks: the
till (orderCreate, couponRedeem, couponValidate), the member's app (rewardRedeem,
couponClaim) and staff issuing coupons. Each refusal is a typed MemberFrozenError (or
the MEMBER_FROZEN skip reason of a staff issue) and writes nothing."""

from __future__ import annotations

from datetime import timedelta

from strawberry.relay import to_base64

from domain import clock
from domain.coupons.tables import Coupon, CouponRedemption
from domain.orders.tables import Order
from domain.points.tables import RewardRedemption
from tests.conftest import GQL, sign_in_staff
from tests.factories import (
    ADJUST,
    CLAIM,
    ISSUE,
    ORDER,
    REDEEM,
    REWARD,
    UPSERT,
    VALIDATE,
    as_member,
    draft,
    issue,
    new_code,
    order_id,
    order_input,
    pos_and_member,
    redeemer,
    snapshot,
    state,
    template,
)

STATUS = """mutation($id: ID!, $s: MemberStatus!) { memberUpdateByStaff(memberId: $id,
  input: {status: $s}) { __typename ... on Member { status } } }"""


async def set_status(gql: GQL, pk: int, status: str) -> None:
    agent = await sign_in_staff(gql, "agent@test.cn")
    r = (await agent(STATUS, {"id": to_base64("Member", pk), "s": status}))["data"]
    assert r["memberUpdateByStaff"] == {"__typename": "Member", "status": status}


async def frozen_with_points_and_coupon(gql: GQL, client, seed) -> tuple[GQL, str, int, str]:
    """A member with 500 spendable points and an active coupon, then frozen."""
    pos, card, pk = await pos_and_member(gql, client, seed)
    agent = await sign_in_staff(gql, "agent@test.cn")
    r = await agent(ADJUST, {"id": to_base64("Member", pk), "p": 500, "why": "测试赠送"})
    assert r["data"]["pointsAdjust"] == {"__typename": "Points", "balance": 500}
    (code,) = await issue(gql, await template(gql), pk)
    await set_status(gql, pk, "FROZEN")
    return pos, card, pk, code


async def everything(pk: int, code: str) -> tuple:
    """What a refusal must leave as it was: points, ledger, orders, the coupon."""
    return (
        await snapshot(pk),
        await Order.all().count(),
        await state(code),
        await CouponRedemption.all().count(),
        await Coupon.filter(member_id=pk).count(),
        await RewardRedemption.filter(member_id=pk).count(),
    )


FROZEN = {"__typename": "MemberFrozenError", "code": "MEMBER_FROZEN"}


def frozen(answer: dict) -> dict:
    return {k: answer[k] for k in ("__typename", "code")}


async def test_the_till_cannot_earn_spend_or_use_coupons_for_a_frozen_member(gql, client, seed):
    pos, card, pk, code = await frozen_with_points_and_coupon(gql, client, seed)
    before = await everything(pk, code)
    spend = order_input(card, pointsToRedeem=100, totalPaidFen=9_900)
    with_coupon = order_input(card, couponCodes=[code], totalPaidFen=8_000)
    for order in (order_input(card), spend, with_coupon):
        r = (await pos(ORDER, {"in": order}))["data"]["orderCreate"]
        assert frozen(r) == FROZEN, (order, r)

    till = await redeemer(gql, client)
    redeem = {"code": code, "orderExternalId": order_id(), "order": draft()}
    r = (await till(REDEEM, {"in": redeem}))["data"]["couponRedeem"]
    assert frozen(r) == FROZEN
    r = (await till(VALIDATE, {"code": code, "order": draft()}))["data"]["couponValidate"]
    assert frozen(r) == FROZEN
    assert await everything(pk, code) == before
    assert (await Coupon.get(code=code)).status == "ACTIVE"


async def test_a_frozen_member_cannot_redeem_rewards_or_claim_and_staff_issue_skips(
    gql, client, seed, app
):
    _pos, _card, pk, code = await frozen_with_points_and_coupon(gql, client, seed)
    admin = await sign_in_staff(gql, "admin@test.cn")
    reward = {"code": new_code("R"), "name": "购物袋", "kind": "GOODS", "pointsCost": 10}
    assert (await admin(UPSERT, {"in": reward}))["data"]["rewardUpsert"]["__typename"] == "Reward"
    claimable = await template(gql, claimable=True)
    before = await everything(pk, code)

    # a member token the freeze did not revoke (one whose sign-in was already under way):
    # the services refuse too, not only the token check
    clock.advance(timedelta(seconds=2))
    me = await as_member(gql, app, pk)
    r = await me(REWARD, {"code": reward["code"], "req": "frozen-1", "q": 1})
    assert frozen(r["data"]["rewardRedeem"]) == FROZEN
    r = (await me(CLAIM, {"t": claimable}))["data"]["couponClaim"]
    assert frozen(r) == FROZEN
    r = await admin(ISSUE, {"t": claimable, "ids": [to_base64("Member", pk)], "b": new_code("B")})
    report = r["data"]["couponIssue"]
    assert report == {
        "__typename": "CouponIssueReport",
        "issued": [],
        "skipped": [{"memberId": to_base64("Member", pk), "reason": "MEMBER_FROZEN"}],
    }
    assert await everything(pk, code) == before


async def test_unfreezing_gives_everything_back(gql, client, seed):
    pos, card, pk, code = await frozen_with_points_and_coupon(gql, client, seed)
    await set_status(gql, pk, "ACTIVE")
    order = order_input(card, couponCodes=[code], pointsToRedeem=100, totalPaidFen=7_900)
    r = (await pos(ORDER, {"in": order}))["data"]["orderCreate"]
    assert r["__typename"] == "OrderCreateSuccess", r
    assert (r["order"]["pointsEarned"], r["order"]["pointsRedeemed"]) == (79, 100)
    assert (await Coupon.get(code=code)).status == "USED"
