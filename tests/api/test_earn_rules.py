"""``earnRulesUpdate`` is a partial update (an absent argument keeps its field, null clears
the cap or a list) and only admins may call it: marketing reads the rules and proposes
campaigns."""

from __future__ import annotations

import pytest
from tortoise.exceptions import IntegrityError

from domain.audit.tables import AuditEntry
from domain.auth.model import Principal, PrincipalKind, Role
from domain.errors import PermissionDenied
from domain.points import rules
from domain.points.model import RulesChange
from domain.points.tables import EarnRules
from tests.conftest import STAFF_PASSWORD, sign_in_staff

READ = "{ earnRules { pointsPerYuan dailyCap excludedCategories excludedSkus } }"
FULL = """mutation($rate: Int, $cap: Int, $cats: [String!], $skus: [String!]) {
  earnRulesUpdate(pointsPerYuan: $rate, dailyCap: $cap, excludedCategories: $cats,
                  excludedSkus: $skus) {
  __typename ... on EarnRules { pointsPerYuan dailyCap excludedCategories excludedSkus }
  ... on InvalidInputError { code field } } }"""
RATE_ONLY = """mutation($rate: Int) { earnRulesUpdate(pointsPerYuan: $rate) {
  __typename ... on EarnRules { pointsPerYuan dailyCap excludedCategories excludedSkus }
  ... on InvalidInputError { code field } } }"""
CLEAR_CAP = """mutation { earnRulesUpdate(dailyCap: null) {
  __typename ... on EarnRules { pointsPerYuan dailyCap excludedCategories excludedSkus } } }"""
SET = {"rate": 1, "cap": 500, "cats": ["烟酒"], "skus": ["GIFT-1"]}
AS_SET = {
    "pointsPerYuan": 1,
    "dailyCap": 500,
    "excludedCategories": ["烟酒"],
    "excludedSkus": ["GIFT-1"],
}


@pytest.fixture
async def clean_rules():
    await EarnRules.all().delete()
    yield
    await EarnRules.all().delete()


async def marketing_staff(gql):
    from domain.org.services import create_staff

    try:
        await create_staff("rules.marketing@test.cn", STAFF_PASSWORD, "marketing_manager")
    except IntegrityError:
        pass  # made by an earlier test of this session
    return await sign_in_staff(gql, "rules.marketing@test.cn")


async def test_partial_update_changes_only_what_is_given(gql, seed, clean_rules):
    admin = await sign_in_staff(gql, "admin@test.cn")
    got = await admin(FULL, SET)
    assert got["data"]["earnRulesUpdate"] == {"__typename": "EarnRules"} | (AS_SET)
    # only the rate: the cap and both exclusion lists stay
    r = (await admin(RATE_ONLY, {"rate": 2}))["data"]["earnRulesUpdate"]
    assert r == {"__typename": "EarnRules", **AS_SET, "pointsPerYuan": 2}
    assert (await admin(READ))["data"]["earnRules"] == {**AS_SET, "pointsPerYuan": 2}
    # an explicit null clears the cap, and nothing else
    r = (await admin(CLEAR_CAP))["data"]["earnRulesUpdate"]
    assert r == {"__typename": "EarnRules", **AS_SET, "pointsPerYuan": 2, "dailyCap": None}
    # the base rate cannot be cleared: refused, nothing changed
    bad = (await admin(RATE_ONLY, {"rate": None}))["data"]["earnRulesUpdate"]
    assert bad == {
        "__typename": "InvalidInputError",
        "code": "INVALID_INPUT",
        "field": "pointsPerYuan",
    }
    assert (await admin(READ))["data"]["earnRules"] == {
        **AS_SET,
        "pointsPerYuan": 2,
        "dailyCap": None,
    }
    logged = await AuditEntry.filter(action="points.rules_update").order_by("-id").first()
    assert logged is not None and logged.detail["daily_cap"] is None


async def test_marketing_cannot_change_earn_rules(gql, seed, clean_rules):
    admin = await sign_in_staff(gql, "admin@test.cn")
    await admin(FULL, SET)
    before = (await admin(READ))["data"]["earnRules"]
    marketing = await marketing_staff(gql)
    assert (await marketing(READ))["data"]["earnRules"] == before  # reading is allowed
    denied = await marketing(RATE_ONLY, {"rate": 5})
    assert denied["data"] is None
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await admin(READ))["data"]["earnRules"] == before
    # the service refuses too, whoever calls it
    viewer = Principal(PrincipalKind.STAFF, 999, role=Role.MARKETING_MANAGER)
    with pytest.raises(PermissionDenied):
        await rules.update(viewer, RulesChange(points_per_yuan=5))
    assert (await admin(READ))["data"]["earnRules"] == before
