"""Earning rules (base rate, tier and campaign multipliers, exclusions, daily cap),
rewards, and the catalogue (API upsert and the CLI import)."""

from __future__ import annotations

import asyncio

import pytest
from strawberry.relay import GlobalID, to_base64

from domain import clock
from domain.audit.tables import AuditEntry
from domain.catalog.tables import Product
from domain.points.model import business_day
from domain.points.tables import EarnRules, LedgerEntry, PointsCampaign, Reward, RewardRedemption
from domain.tiers.tables import Tier
from tests.conftest import sign_in_member, sign_in_staff
from tests.factories import ADJUST, ORDER, account, order_input, pos_and_member

RULES = """mutation($cap: Int, $cats: [String!], $skus: [String!]) {
  earnRulesUpdate(pointsPerYuan: 1, dailyCap: $cap, excludedCategories: $cats,
                  excludedSkus: $skus) {
  __typename ... on EarnRules { dailyCap excludedCategories } ... on UserError { code } } }"""
CAMPAIGN = """mutation($in: PointsCampaignInput!) { pointsCampaignCreate(input: $in) {
  __typename ... on PointsCampaign { id multiplierPct } ... on UserError { code } } }"""
UPSERT = """mutation($p: [ProductInput!]!) { productUpsert(products: $p) {
  __typename ... on ProductUpsertSuccess { created updated }
  ... on ProductRowError { row field } ... on UserError { code } } }"""


@pytest.fixture
async def clean_rules():
    await EarnRules.all().delete()
    await PointsCampaign.all().update(active=False)
    yield
    await EarnRules.all().delete()
    await PointsCampaign.all().update(active=False)


async def test_earning_rules_multiply_exclude_and_cap(gql, client, seed, clean_rules):
    marketing = await sign_in_staff(gql, "admin@test.cn")
    upsert = await marketing(
        UPSERT,
        {
            "p": [
                {"sku": "TOB-1", "name": "香烟", "categoryPath": "烟酒/香烟", "priceFen": 3000},
                {"sku": "MILK-1", "name": "牛奶", "categoryPath": "乳品/牛奶", "priceFen": 1000},
                {
                    "sku": "GIFT-1",
                    "name": "礼品卡",
                    "categoryPath": "服务/礼品卡",
                    "priceFen": 5000,
                    "excludedFromPoints": True,
                },
            ]
        },
    )
    assert upsert["data"]["productUpsert"]["__typename"] == "ProductUpsertSuccess"
    rules = await marketing(RULES, {"cap": 500, "cats": ["烟酒"], "skus": []})
    assert rules["data"]["earnRulesUpdate"] == {
        "__typename": "EarnRules",
        "dailyCap": 500,
        "excludedCategories": ["烟酒"],
    }
    today = business_day(clock.now())
    day = {
        "name": "会员日双倍积分",
        "multiplierPct": 200,
        "startsOn": today.isoformat(),
        "endsOn": today.isoformat(),
        "weekdays": [today.isoweekday()],
    }
    assert (await marketing(CAMPAIGN, {"in": day}))["data"]["pointsCampaignCreate"][
        "multiplierPct"
    ] == 200
    gold, _ = await Tier.get_or_create(
        code="GOLDX",
        defaults={
            "name": "测试金卡",
            "rank": 7,
            "threshold_fen": 10**12,  # never reached by spend: set by hand below
            "points_multiplier_pct": 150,
        },
    )
    pos, card, pk = await pos_and_member(gql, client, seed)
    from domain.members.tables import Member

    await Member.filter(id=pk).update(tier_id=gold.id)

    o = order_input(card, fen=0)
    o["lines"] = [
        {"sku": "TOB-1", "quantity": 1, "unitPriceFen": 3000},  # excluded category
        {"sku": "GIFT-1", "quantity": 1, "unitPriceFen": 5000},  # excluded product
        {"sku": "MILK-1", "quantity": 2, "unitPriceFen": 1000, "discountFen": 500},
    ]
    o["totalPaidFen"] = 9_500
    r = (await pos(ORDER, {"in": o}))["data"]["orderCreate"]
    # eligible: milk 1,500 fen -> 15 points, x1.5 tier = 22, x2 member day = 44
    assert r["order"]["pointsEarned"] == 44
    entry = await LedgerEntry.get(member_id=pk, kind="EARN")
    assert entry.breakdown["eligibleFen"] == 1_500 and entry.breakdown["tierMultiplierPct"] == 150
    assert entry.breakdown["campaigns"] == [{"campaign": "会员日双倍积分", "multiplierPct": 200}]
    assert "会员日双倍积分" in entry.reason

    big = order_input(card, fen=100_000)
    big["lines"][0]["sku"] = "MILK-1"
    r = (await pos(ORDER, {"in": big}))["data"]["orderCreate"]
    assert r["order"]["pointsEarned"] == 500 - 44  # the daily cap
    assert (await account(pk))[1] == 500
    assert await AuditEntry.filter(action="points.rules_update").exists()


async def test_marketing_rules_are_validated_and_role_checked(gql, seed, clean_rules):
    admin = await sign_in_staff(gql, "admin@test.cn")
    bad = await admin(RULES, {"cap": -1, "cats": [], "skus": []})
    assert bad["data"]["earnRulesUpdate"]["__typename"] == "InvalidInputError"
    assert not await EarnRules.exists()
    store = await sign_in_staff(gql, "sh01@test.cn")
    denied = await store(RULES, {"cap": 1, "cats": [], "skus": []})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not await EarnRules.exists()
    wrong = {"name": "x", "multiplierPct": 50, "startsOn": "2026-01-01", "endsOn": "2026-01-31"}
    before = await PointsCampaign.all().count()
    r = await admin(CAMPAIGN, {"in": wrong})
    assert r["data"]["pointsCampaignCreate"]["__typename"] == "InvalidInputError"
    assert await PointsCampaign.all().count() == before


REDEEM = """mutation($code: String!, $req: String!, $q: Int!) {
  rewardRedeem(rewardCode: $code, requestId: $req, quantity: $q) {
  __typename ... on RewardRedeemSuccess { points replayed } ... on UserError { code } } }"""


async def test_rewards_respect_stock_limits_and_balance(gql, seed):
    await Reward.get_or_create(
        code="EGGS",
        defaults={
            "name": "鸡蛋一盒",
            "kind": "GOODS",
            "points_cost": 30,
            "stock": 3,
            "per_member_limit": 2,
        },
    )
    member = gql.as_((await sign_in_member(gql))["accessToken"])
    pk = await _me_pk(member)
    agent = await sign_in_staff(gql, "agent@test.cn")
    await agent(ADJUST, {"id": to_base64("Member", pk), "p": 200, "why": "兑换测试赠送"})
    balance = (await account(pk))[0]
    first = (await member(REDEEM, {"code": "EGGS", "req": "r-1", "q": 1}))["data"]["rewardRedeem"]
    again = (await member(REDEEM, {"code": "EGGS", "req": "r-1", "q": 1}))["data"]["rewardRedeem"]
    assert (first["replayed"], again["replayed"]) == (False, True)
    results = await asyncio.gather(
        *(member(REDEEM, {"code": "EGGS", "req": f"r-{i}", "q": 1}) for i in range(2, 6))
    )
    kinds = sorted(r["data"]["rewardRedeem"]["__typename"] for r in results)
    assert kinds == ["RewardRedeemSuccess"] + ["RewardUnavailableError"] * 3  # limit 2
    assert await RewardRedemption.filter(member_id=pk).count() == 2
    assert (await account(pk))[0] == balance - 60
    assert (await Reward.get(code="EGGS")).stock == 1


async def _me_pk(member) -> int:
    return int(GlobalID.from_id((await member("{ me { id } }"))["data"]["me"]["id"]).node_id)


async def test_product_upsert_is_all_or_nothing(gql, seed):
    admin = await sign_in_staff(gql, "admin@test.cn")
    before = await Product.all().count()
    rows = [
        {"sku": "OK-1", "name": "苹果", "categoryPath": "生鲜/水果", "priceFen": 800},
        {"sku": "BAD-1", "name": "梨", "categoryPath": "生鲜/水果", "priceFen": -1},
    ]
    r = (await admin(UPSERT, {"p": rows}))["data"]["productUpsert"]
    assert r == {
        "__typename": "ProductRowError",
        "code": "INVALID_ROW",
        "row": 2,
        "field": "priceFen",
    }
    assert await Product.all().count() == before
    rows[1]["priceFen"] = 600
    r = (await admin(UPSERT, {"p": rows}))["data"]["productUpsert"]
    assert r == {"__typename": "ProductUpsertSuccess", "created": 2, "updated": 0}
    rows[0]["priceFen"] = 900
    r = (await admin(UPSERT, {"p": rows[:1]}))["data"]["productUpsert"]
    assert r["updated"] == 1 and (await Product.get(sku="OK-1")).price_fen == 900
