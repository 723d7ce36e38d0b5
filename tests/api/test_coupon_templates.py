"""Coupon templates and the staff side through the API: bad templates refused, staff
issuing with who did not get one and why, the template report."""

from __future__ import annotations

from datetime import timedelta

from domain import clock
from domain.coupons.tables import Coupon, CouponTemplate
from tests.conftest import sign_in_staff
from tests.factories import (
    ISSUE,
    ORDER,
    REPORT,
    TEMPLATE,
    issue,
    member_gid,
    new_code,
    order_input,
    pos_and_member,
    staff,
    template,
)


async def test_staff_issue_reports_who_did_not_get_one_and_why(gql, client, seed, app):
    _, _, a = await pos_and_member(gql, client, seed)
    _, _, b = await pos_and_member(gql, client, seed)
    scarce = await template(gql, totalStock=1, perMemberLimit=1)
    admin = await staff(gql)
    ids = [member_gid(a), member_gid(b), member_gid(10**9)]
    r = (await admin(ISSUE, {"t": scarce, "ids": ids, "b": "nov"}))["data"]["couponIssue"]
    assert [i["memberId"] for i in r["issued"]] == [member_gid(a)]
    assert {(s["memberId"], s["reason"]) for s in r["skipped"]} == {
        (member_gid(b), "OUT_OF_STOCK"),
        (member_gid(10**9), "NOT_FOUND"),
    }
    rerun = (await admin(ISSUE, {"t": scarce, "ids": ids[:1], "b": "nov"}))["data"]["couponIssue"]
    assert rerun["skipped"] == [{"memberId": member_gid(a), "reason": "ALREADY_ISSUED"}]
    assert await Coupon.filter(template__code=scarce).count() == 1

    store = await sign_in_staff(gql, "sh01@test.cn")
    r = await store.raw(ISSUE, {"t": scarce, "ids": ids, "b": "x"})
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Coupon.filter(template__code=scarce).count() == 1


async def test_template_report_counts_issue_redemption_expiry_and_revenue(gql, client, seed, app):
    pos, card, pk = await pos_and_member(gql, client, seed)
    code = await template(gql, validityDays=1)
    used, left = await issue(gql, code, pk) + await issue(gql, code, pk)
    r = await pos(ORDER, {"in": order_input(card, fen=15_000, couponCodes=[used])})
    assert r["data"]["orderCreate"]["__typename"] == "OrderCreateSuccess"
    clock.advance(timedelta(days=3))
    admin = await staff(gql)
    rows = {t["code"]: t["report"] for t in (await admin(REPORT))["data"]["couponTemplates"]}
    assert rows[code] == {
        "issued": 2,
        "redeemed": 1,
        "expired": 1,
        "discountGivenFen": 2_000,
        "attributedRevenueFen": 15_000,
    }
    assert left != used


async def test_bad_templates_are_typed_and_write_nothing(gql, client, seed):
    admin = await staff(gql)
    before = await CouponTemplate.all().count()
    bad = [
        ({"kind": "PERCENT_OFF", "percentOff": 0}, "percentOff"),
        ({"valueFen": 0}, "valueFen"),
        (
            {"ladder": [{"thresholdFen": 200, "offFen": 10}, {"thresholdFen": 100, "offFen": 5}]},
            "ladder",
        ),
        ({"kind": "GIFT"}, "giftSku"),
        ({"validityDays": None}, "validityDays"),
        ({"weekdays": [0]}, "weekdays"),
        ({"periodLimit": 1}, "limitPeriod"),
        ({"hourFrom": 8}, "hourFrom"),  # half a time window: was "Unexpected error."
        ({"hourTo": 20}, "hourFrom"),  # was accepted, the window silently dropped
    ]
    for change, field in bad:
        body = {"code": new_code(), "name": "x", "kind": "AMOUNT_OFF", "valueFen": 100}
        body |= {"thresholdFen": 1000, "validityDays": 7} | change
        r = (await admin(TEMPLATE, {"in": body}))["data"]["couponTemplateCreate"]
        assert (r["__typename"], r.get("field")) == ("InvalidInputError", field), (change, r)
    assert await CouponTemplate.all().count() == before
