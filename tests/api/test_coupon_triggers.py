"""Coupons issued by events and daily jobs (birthday by tier, tier upgrade, first-order
nudge, win-back; the year-end rebate is in test_points_rebate.py), expiry with reminders
through the marketing rules, and the rewards catalogue (coupons, lottery draws, tier
targeting) through points."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from strawberry.relay import to_base64

from domain import clock
from domain.coupons import jobs
from domain.coupons.tables import Coupon
from domain.members.birthdays import emit_birthdays
from domain.members.tables import Member
from domain.notifications.tables import Message
from domain.points.tables import Reward, RewardRedemption
from domain.tiers.tables import Tier
from tests.conftest import sign_in_staff, wait_for
from tests.factories import (
    ADJUST,
    MY_COUPONS,
    ORDER,
    REWARD,
    UPSERT,
    _node,
    account,
    as_member,
    at,
    consent,
    coupons_of,
    new_code,
    new_phone,
    order_input,
    partner,
    pos_and_member,
    register,
    template,
    trigger_template,
)

SHANGHAI_NOON = time(12, 0, tzinfo=clock.SHANGHAI)


def noon(days_ahead: int) -> datetime:
    return datetime.combine(clock.business_date() + timedelta(days=days_ahead), SHANGHAI_NOON)


async def settle(app) -> None:
    app.state.relay.kick()
    await app.state.relay.drain()


async def test_birthday_coupon_takes_its_value_from_the_tier(gql, client, seed, ladder, app):
    code = await trigger_template(gql, "BIRTHDAY", thresholdFen=0, valueFen=1)
    await Tier.filter(code="SILVER").update(benefits={"birthdayCouponValueFen": 1_500})
    pos = await partner(gql, client, seed)
    today = clock.business_date()  # the worker (a process of its own on PostgreSQL) issues
    # with the real clock, so the birthday is today rather than a moved clock's day
    born = f"1990-{today:%m-%d}" if f"{today:%m-%d}" != "02-29" else "1992-02-29"
    silver = int(_node((await register(pos, new_phone(), birthday=born))["member"]["id"]))
    plain = int(_node((await register(pos, new_phone(), birthday=born))["member"]["id"]))
    await Member.filter(id=silver).update(tier_id=ladder["SILVER"].id)
    await Member.filter(id=plain).update(tier_id=ladder["REGULAR"].id)

    await emit_birthdays(app.state.rt)
    await settle(app)
    got = await wait_for(lambda: coupons_of(silver, code), within=30)
    assert [(c.value_fen, c.source_ref) for c in got] == [(1_500, f"birthday:{today.year}")]
    me = await as_member(gql, app, silver)
    listed = (await me(MY_COUPONS, {"s": "ACTIVE"}))["data"]["me"]["coupons"]["edges"]
    assert [c["node"]["description"].split(",")[0] for c in listed] == ["立减15"]
    # delivered again (a redelivery, a second run of the job): still one
    assert await jobs.on_birthday(silver, today.year) is None
    assert len(await coupons_of(silver, code)) == 1
    assert await coupons_of(plain, code) == []  # a tier without the benefit gets none


async def test_tier_upgrade_coupon_once_per_upgrade(gql, client, seed, ladder, app):
    code = await trigger_template(gql, "TIER_UPGRADE")
    pos, card, pk = await pos_and_member(gql, client, seed)
    r = await pos(ORDER, {"in": order_input(card, fen=210_000)})
    assert r["data"]["orderCreate"]["__typename"] == "OrderCreateSuccess"
    got = await wait_for(lambda: coupons_of(pk, code), within=30)
    assert len(got) == 1 and got[0].source_ref.startswith("tier-upgrade:")
    history_id = int(got[0].source_ref.split(":")[1])
    assert await jobs.on_tier_changed(pk, "REGULAR", "SILVER", history_id) is None
    assert await jobs.on_tier_changed(pk, "SILVER", "REGULAR", history_id + 1) is None  # down
    _, _, new = await pos_and_member(gql, client, seed)
    assert await jobs.on_tier_changed(new, None, "REGULAR", history_id + 2) is None  # placed
    assert await coupons_of(new, code) == []
    assert len(await coupons_of(pk, code)) == 1


async def test_first_order_nudge_and_win_back_once_each(gql, client, seed, app):
    nudge = await trigger_template(gql, "FIRST_ORDER")
    win_back = await trigger_template(gql, "WIN_BACK", thresholdFen=15_000, valueFen=3_000)
    pos, card, buyer = await pos_and_member(gql, client, seed)
    _, _, idle = await pos_and_member(gql, client, seed)
    r = await pos(ORDER, {"in": order_input(card)})
    assert r["data"]["orderCreate"]["__typename"] == "OrderCreateSuccess"

    at(noon(app.state.rt.settings.coupon_first_order_days + 1))
    await jobs.first_order_and_win_back(app.state.rt)
    await jobs.first_order_and_win_back(app.state.rt)
    assert [c.source_ref for c in await coupons_of(idle, nudge)] == ["first-order"]
    assert await coupons_of(buyer, nudge) == []  # bought already

    at(noon(app.state.rt.settings.coupon_win_back_days + 1))
    assert await coupons_of(buyer, win_back) == []
    await jobs.first_order_and_win_back(app.state.rt)
    await jobs.first_order_and_win_back(app.state.rt)
    got = await coupons_of(buyer, win_back)
    assert len(got) == 1 and got[0].source_ref.startswith("winback:")
    assert await coupons_of(idle, win_back) == []  # never bought: the nudge, not a win-back


async def test_expiry_reminder_follows_the_marketing_rules_then_expires(gql, client, seed, app):
    code = await template(gql, validityDays=2)
    _, _, yes = await pos_and_member(gql, client, seed)
    _, _, no = await pos_and_member(gql, client, seed)
    await consent(yes)
    admin = await sign_in_staff(gql, "admin@test.cn")
    from tests.factories import ISSUE

    r = await admin(
        ISSUE, {"t": code, "ids": [to_base64("Member", yes), to_base64("Member", no)], "b": "exp"}
    )
    assert len(r["data"]["couponIssue"]["issued"]) == 2

    at(noon(1))
    await jobs.remind_expiring(app.state.rt)
    await jobs.remind_expiring(app.state.rt)
    sent = await Message.filter(member_id__in=[yes, no], template="coupon_expiring").values_list(
        "member_id", "status", "reason"
    )
    by_member = {m: (s, why) for m, s, why in sent}
    assert len(sent) == 2
    assert by_member[yes][0] in ("QUEUED", "SENDING", "SENT")
    assert by_member[no] == ("SUPPRESSED", "no consent for MARKETING_SMS")

    at(noon(4))
    assert await jobs.expire_due() >= 2
    assert {c.status for c in await Coupon.filter(template__code=code)} == {"EXPIRED"}
    me = await as_member(gql, app, yes)
    expired = (await me(MY_COUPONS, {"s": "EXPIRED"}))["data"]["me"]["coupons"]["edges"]
    assert len(expired) == 1
    active = (await me(MY_COUPONS, {"s": "ACTIVE"}))["data"]["me"]["coupons"]["edges"]
    assert active == []


REWARDS = "{ rewards { code kind tiers prizes { name chancePermille } } }"


async def test_rewards_give_coupons_and_draws_and_respect_tiers(gql, client, seed, ladder, app):
    coupon_code = await template(gql, perMemberLimit=1)
    names = {k: new_code("R") for k in ("coupon", "draw", "gold")}
    admin = await sign_in_staff(gql, "admin@test.cn")
    rewards = [
        {"code": names["coupon"], "name": "满100减20券", "kind": "COUPON", "pointsCost": 50}
        | {"couponTemplateCode": coupon_code},
        {"code": names["draw"], "name": "抽奖", "kind": "LOTTERY", "pointsCost": 10}
        | {
            "prizes": [
                {"name": "满100减20券", "weight": 1, "couponTemplateCode": coupon_code},
                {"name": "谢谢参与", "weight": 0},
            ]
        },
        {"code": names["gold"], "name": "金卡专享", "kind": "GOODS", "pointsCost": 10}
        | {"tiers": ["GOLD"]},
    ]
    for body in rewards:
        r = (await admin(UPSERT, {"in": body}))["data"]["rewardUpsert"]
        assert r["__typename"] == "Reward", r
    count = await Reward.all().count()
    for bad, why in (
        ({"prizes": [{"name": "x", "weight": 0}]}, "InvalidInputError"),
        ({"prizes": [{"name": "x", "weight": 1, "couponTemplateCode": "NOPE"}]}, "NotFoundError"),
        ({"pointsCost": 0}, "InvalidInputError"),
    ):
        body = {"code": new_code("R"), "name": "坏", "kind": "LOTTERY", "pointsCost": 5} | bad
        r = (await admin(UPSERT, {"in": body}))["data"]["rewardUpsert"]
        assert r["__typename"] == why, (bad, r)
    assert await Reward.all().count() == count
    _, _, pk = await pos_and_member(gql, client, seed)
    await Member.filter(id=pk).update(tier_id=ladder["REGULAR"].id)
    agent = await sign_in_staff(gql, "agent@test.cn")
    await agent(ADJUST, {"id": to_base64("Member", pk), "p": 200, "why": "兑换测试赠送"})
    me = await as_member(gql, app, pk)

    listed = {r["code"]: r for r in (await me(REWARDS))["data"]["rewards"]}
    assert names["gold"] not in listed
    assert listed[names["draw"]]["prizes"] == [
        {"name": "满100减20券", "chancePermille": 1000},
        {"name": "谢谢参与", "chancePermille": 0},
    ]

    r = (await me(REWARD, {"code": names["coupon"], "req": "c1", "q": 1}))["data"]["rewardRedeem"]
    assert r["__typename"] == "RewardRedeemSuccess" and r["points"] == 50
    (outcome,) = r["outcomes"]
    assert (await Coupon.get(code=outcome["couponCode"])).member_id == pk

    # the draw lands on the coupon, whose limit (1) is now reached: refused, points kept
    before = await account(pk), await RewardRedemption.filter(member_id=pk).count()
    r = (await me(REWARD, {"code": names["draw"], "req": "d1", "q": 1}))["data"]["rewardRedeem"]
    assert r["__typename"] == "RewardUnavailableError", r
    r = (await me(REWARD, {"code": names["gold"], "req": "g1", "q": 1}))["data"]["rewardRedeem"]
    assert r["__typename"] == "RewardUnavailableError"
    assert (await account(pk), await RewardRedemption.filter(member_id=pk).count()) == before
    assert len(await coupons_of(pk, coupon_code)) == 1
