"""What the schema fuzz (test_fuzz.py) found, each pinned through the API: a typed error
(or null where the field's contract says so), never "Unexpected error." nor a logged
traceback, and nothing changed."""

from __future__ import annotations

import base64
import logging

import pytest

from tests.conftest import sign_in_staff

HUGE = 2**70  # past every key column: the driver raised OverflowError / "out of int64 range"


def gid(kind: str, key: object) -> str:
    return base64.b64encode(f"{kind}:{key}".encode()).decode()


@pytest.fixture
async def admin(gql, seed):
    return await sign_in_staff(gql, seed["staff"][0])


@pytest.fixture
def no_traceback(caplog):
    """Fails the test if anything was logged at ERROR (an unexpected resolver error)."""
    caplog.set_level(logging.ERROR)
    yield
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    "node_id",
    [
        gid("", 11),  # no type name: GlobalIDValueError
        gid("Order", 1),  # a type that is not a Node
        gid("Member", "Ö"),  # a key that is no integer: ValueError in resolve_nodes
        gid("Member", HUGE),  # past BIGINT
        gid("Product", 2**31),  # past the 32-bit product key (PostgreSQL driver error)
        gid("Member", -1),
    ],
)
async def test_node_with_an_id_that_names_nothing_is_null(admin, no_traceback, node_id):
    r = await admin("query($id: ID!) { node(id: $id) { id } }", {"id": node_id})
    assert r == {"data": {"node": None}}


async def test_a_domain_error_in_a_query_field_is_typed_not_masked(admin, no_traceback):
    """NotFound from a query field used to be masked as "Unexpected error." and logged."""
    r = await admin(
        "query($m: ID!) { notifications(memberId: $m) { id } }", {"m": gid("Member", 999_999)}
    )
    assert r["data"] is None
    [error] = r["errors"]
    assert error["message"] == "No such member."
    assert error["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("customer360", "query($m: ID!) { customer360(memberId: $m) { __typename } }"),
        ("member", "query($m: ID!) { member(id: $m) { id } }"),
    ],
)
async def test_a_member_id_past_bigint_is_invalid_input(admin, no_traceback, name, query):
    r = await admin(query, {"m": gid("Member", HUGE)})
    assert r["data"] == {name: None}
    [error] = r["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["message"] == "Not a member id."


UNION = "{ __typename ... on InvalidInputError { code field } }"


@pytest.mark.parametrize(
    ("mutation", "field"),
    [
        (f'deadLetterReplay(id: "{HUGE}") {UNION}', "id"),
        (
            f'identityUnlink(identityId: "{HUGE}", memberId: "{gid("Member", 1)}") {UNION}',
            "identityId",
        ),
        (f'memberUnmerge(mergeId: "{HUGE}", reason: "fuzz") {UNION}', "mergeId"),
        (
            f'pointsAdjust(memberId: "{gid("Member", HUGE)}", points: 1, reason: "x") {UNION}',
            "memberId",
        ),
    ],
)
async def test_an_id_past_bigint_is_invalid_input(admin, no_traceback, mutation, field):
    from domain.audit.tables import AuditEntry

    before = await AuditEntry.all().count()
    r = await admin(f"mutation {{ {mutation} }}")
    [answer] = r["data"].values()
    assert answer == {"__typename": "InvalidInputError", "code": "INVALID_INPUT", "field": field}
    assert await AuditEntry.all().count() == before


TIER = """mutation($b: JSON) { tierUpsert(input: {code: "FUZZTIER", name: "fuzz", rank: 900,
  thresholdFen: 900000000, benefits: $b}) {
  __typename ... on InvalidInputError { code field message } } }"""


@pytest.mark.parametrize(
    "benefits",
    [
        -2.578768869479135e16,  # TypeError: 'float' object is not iterable
        [[-2133, "x", True], 7],  # ValueError: dictionary update sequence element
        [None, None],  # TypeError: cannot convert dictionary update sequence element
        "freeReturns",
        {"birthdayCouponValueFen": "1000"},  # would crash the birthday job, not the upsert
        {"birthdayCouponValueFen": -5},
        {"freeReturns": 1},
    ],
)
async def test_tier_benefits_that_are_not_an_object_of_known_types_are_invalid_input(
    admin, no_traceback, benefits
):
    from domain.tiers.tables import Tier

    r = (await admin(TIER, {"b": benefits}))["data"]["tierUpsert"]
    assert r["__typename"] == "InvalidInputError", r
    assert (r["code"], r["field"]) == ("INVALID_INPUT", "benefits")
    assert not await Tier.filter(code="FUZZTIER").exists()


async def test_tier_benefits_of_the_documented_types_are_kept(admin, no_traceback):
    from domain.tiers.tables import Tier

    benefits = {"birthdayCouponValueFen": 1000, "freeReturns": True, "birthdayCouponTemplate": "B"}
    r = await admin(TIER.replace("{ code field message }", "{ code }"), {"b": benefits})
    assert r["data"]["tierUpsert"]["__typename"] == "Tier"
    tier = await Tier.get(code="FUZZTIER")
    assert tier.benefits == benefits
    await tier.delete()  # out of the shared ladder again
