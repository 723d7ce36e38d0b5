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
        gid("Tier", 1),  # a type that is not a Node
        gid("Member", "Ö"),  # a key that is no integer: ValueError in resolve_nodes
        gid("Member", HUGE),  # past BIGINT
        gid("Product", 2**31),  # past the 32-bit product key (PostgreSQL driver error)
        gid("CouponTemplate", 2**31),  # the other INTEGER keys
        gid("PointsCampaign", 2**31),
        gid("Reward", 2**31),
        gid("Member", -1),
    ],
)
async def test_node_with_an_id_that_names_nothing_is_null(admin, no_traceback, node_id):
    r = await admin("query($id: ID!) { node(id: $id) { id } }", {"id": node_id})
    assert r == {"data": {"node": None}}


async def test_notifications_of_a_missing_member_are_null_not_masked(admin, no_traceback):
    """NotFound from this query field used to be masked as "Unexpected error." and logged;
    a member that is missing (or outside the caller's scope) now reads as null."""
    r = await admin(
        "query($m: ID!) { notifications(memberId: $m) { id } }", {"m": gid("Member", 999_999)}
    )
    assert r == {"data": {"notifications": None}}


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
    assert error["message"] == "Not a Member id."


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
        (f'staffDeactivate(staffId: "{HUGE}") {UNION}', "staffId"),
        (f'staffDeactivate(staffId: "{2**31}") {UNION}', "staffId"),  # an INTEGER key
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


TIER = """mutation($b: JSON) { tierUpsert(input: {code: "FUZZTIER", name: "fuzz", rank: 99999,
  thresholdFen: 2000000000, benefits: $b}) {
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

    answer = await admin(TIER, {"b": benefits})
    if not isinstance(benefits, dict):  # refused by the input rules before the resolver
        assert "data" not in answer, answer
        [error] = answer["errors"]
        assert error["extensions"]["code"] == "INVALID_INPUT"
        assert error["extensions"]["field"] == "tierUpsert.input.benefits"
    else:  # an object whose values have the wrong types: the resolver's typed error
        r = answer["data"]["tierUpsert"]
        assert r["__typename"] == "InvalidInputError", r
        assert (r["code"], r["field"]) == ("INVALID_INPUT", "benefits")
    assert not await Tier.filter(code="FUZZTIER").exists()


def _free_rung(ladder: list) -> tuple[int, int]:
    """A rank and a threshold (a GraphQL Int) that fit between or above the rungs there."""
    rungs = sorted((t.rank, t.threshold_fen) for t in ladder) or [(-1, -1)]
    above = [*rungs[1:], (None, None)]
    for (rank, fen), (next_rank, next_fen) in zip(rungs, above, strict=True):
        if next_rank is None or (next_rank - rank > 1 and next_fen - fen > 1):
            if fen + 1 < 2**31:
                return rank + 1, fen + 1
    raise AssertionError(f"no free rung on the ladder {rungs}")


async def test_tier_benefits_of_the_documented_types_are_kept(admin, no_traceback):
    from domain.tiers.tables import Tier

    benefits = {"birthdayCouponValueFen": 1000, "freeReturns": True, "birthdayCouponTemplate": "B"}
    rank, threshold = _free_rung(await Tier.all())  # whatever other tests left on the ladder
    r = await admin(
        TIER.replace("rank: 99999,", f"rank: {rank},").replace(
            "thresholdFen: 2000000000,", f"thresholdFen: {threshold},"
        ),
        {"b": benefits},
    )
    assert r["data"]["tierUpsert"]["__typename"] == "Tier", r
    tier = await Tier.get(code="FUZZTIER")
    assert tier.benefits == benefits
    await tier.delete()  # out of the shared ladder again


# A DateTime whose UTC instant a datetime cannot hold: clock.utc raised OverflowError.
BEFORE_YEAR_1 = "0001-01-01T00:00:00+14:00"
AFTER_9999 = "9999-12-31T23:59:59-12:00"
FIELD = "{ __typename ... on InvalidInputError { code field } }"


async def test_an_order_paid_before_year_1_utc_is_invalid_input(client, gql, seed, no_traceback):
    from domain.orders.tables import Order
    from tests.conftest import partner_token

    pos = gql.as_(await partner_token(client, seed["partner"]))
    order = {
        "externalId": "FUZZ-DATE-1",
        "channel": "POS",
        "storeCode": "SH01",
        "paidAt": BEFORE_YEAR_1,
        "lines": [{"sku": "690000000001", "quantity": 1, "unitPriceFen": 100}],
        "totalPaidFen": 100,
    }
    r = await pos(
        f"mutation($in: OrderCreateInput!) {{ orderCreate(input: $in) {FIELD} }}", {"in": order}
    )
    assert r["data"]["orderCreate"] == {
        "__typename": "InvalidInputError",
        "code": "INVALID_INPUT",
        "field": "paidAt",
    }
    assert not await Order.filter(external_id="FUZZ-DATE-1").exists()


async def test_a_tier_override_until_after_9999_utc_is_invalid_input(admin, no_traceback):
    from domain.tiers.tables import TierHistory

    before = await TierHistory.all().count()
    r = await admin(
        f'mutation($m: ID!, $u: DateTime!) {{ tierOverride(memberId: $m, tierCode: "GOLD", '
        f'until: $u, reason: "fuzz date") {FIELD} }}',
        {"m": gid("Member", 1), "u": AFTER_9999},
    )
    assert r["data"]["tierOverride"] == {
        "__typename": "InvalidInputError",
        "code": "INVALID_INPUT",
        "field": "until",
    }
    assert await TierHistory.all().count() == before


async def test_a_member_filter_before_year_1_utc_is_invalid_input(admin, no_traceback):
    r = await admin(
        "query($f: DateTime) { members(filter: {registeredFrom: $f}) { edges { cursor } } }",
        {"f": BEFORE_YEAR_1},
    )
    assert r["data"] is None
    assert [(e["extensions"]["code"], e["message"]) for e in r["errors"]] == [
        ("INVALID_INPUT", "The time is out of range.")
    ]


@pytest.mark.parametrize(
    ("code", "terms", "field"),
    [
        ("FUZZ-V1", {"validFrom": AFTER_9999, "validityDays": 30}, "validFrom"),
        ("FUZZ-V2", {"validUntil": "0001-01-01T04:00:00"}, "validUntil"),  # no offset, past
        # stored, then every read of the template crashed showing its Shanghai date
        ("FUZZ-V3", {"validUntil": "9999-12-31T23:00:00+00:00"}, "validUntil"),
        ("FUZZ-V4", {"validityDays": 2**31 - 1}, "validityDays"),  # overflowed at issue/claim
        ("FUZZ-V5", {"validityDays": -184821180}, "validityDays"),
    ],
)
async def test_coupon_template_validity_out_of_range_is_invalid_input(
    admin, no_traceback, code, terms, field
):
    from domain.coupons.tables import CouponTemplate

    template = {"code": code, "name": "fuzz", "kind": "AMOUNT_OFF", "valueFen": 100}
    r = await admin(
        f"mutation($in: CouponTemplateInput!) {{ couponTemplateCreate(input: $in) {FIELD} }}",
        {"in": {**template, **terms}},
    )
    assert r["data"]["couponTemplateCreate"] == {
        "__typename": "InvalidInputError",
        "code": "INVALID_INPUT",
        "field": field,
    }
    assert not await CouponTemplate.filter(code=code).exists()


async def test_coupon_template_dates_with_and_without_an_offset_compare_in_utc(admin, no_traceback):
    """A validFrom with an offset and a validUntil without one were compared as they came
    (TypeError: can't compare offset-naive and offset-aware datetimes)."""
    from domain.coupons.tables import CouponTemplate

    terms = {"validFrom": "2030-01-01T00:00:00+08:00", "validUntil": "2031-01-01T00:00:00"}
    template = {"code": "FUZZ-TZ", "name": "fuzz", "kind": "AMOUNT_OFF", "valueFen": 100}
    r = await admin(
        "mutation($in: CouponTemplateInput!) { couponTemplateCreate(input: $in) { __typename } }",
        {"in": {**template, **terms}},
    )
    assert r["data"]["couponTemplateCreate"] == {"__typename": "CouponTemplate"}, r
    row = await CouponTemplate.get(code="FUZZ-TZ")
    assert row.valid_until.isoformat().startswith("2031-01-01T00:00:00")  # no offset: UTC
    assert row.valid_from.isoformat().startswith("2029-12-31T16:00:00")


@pytest.mark.parametrize("kind", ["member", "product", "audit", "dead"])
async def test_a_cursor_past_bigint_is_invalid_input(admin, no_traceback, kind):
    field = {"member": "members", "product": "products", "audit": "auditLog", "dead": "deadLetters"}
    after = base64.urlsafe_b64encode(f"{kind}:{2**63}".encode()).decode().rstrip("=")
    r = await admin(f'{{ {field[kind]}(first: 1, after: "{after}") {{ edges {{ cursor }} }} }}')
    assert r["data"] is None, r
    [error] = r["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT", error
    assert error["message"] == "The cursor is not valid for this list."


@pytest.mark.parametrize("first", [-3, 0, 101, 100_000])
async def test_notifications_outside_one_page_are_invalid_input(admin, gql, no_traceback, first):
    """first=-3 for a member in scope reached the database as a negative LIMIT."""
    from tests.conftest import TEST_PHONE, sign_in_member

    await sign_in_member(gql)  # the member exists (registered on first sign-in)
    found = await admin(
        "query($p: String!) { members(first: 1, filter: {phone: $p}) { edges { node { id } } } }",
        {"p": TEST_PHONE},
    )
    member_id = found["data"]["members"]["edges"][0]["node"]["id"]
    r = await admin(
        "query($m: ID!, $n: Int!) { notifications(memberId: $m, first: $n) { id } }",
        {"m": member_id, "n": first},
    )
    assert r["data"] == {"notifications": None}, r
    [error] = r["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT", error
    assert error["message"] == "`first` must be between 1 and 100."


def test_every_node_type_with_an_integer_key_is_bounded():
    """node() refuses a key past the type's key column before it reaches the database: a
    Node type stored with an INTEGER key (not BIGINT) must be in NODE_KEY_MAX."""
    from tortoise import fields
    from tortoise.models import Model

    from domain.auth.policy import NODE_RULES
    from schema import NODE_KEY_MAX

    models = {m.__name__: m for m in _subclasses(Model)}
    stored_as = {"Notification": "Message"}
    for node in NODE_RULES:
        model = models[stored_as.get(node, node)]
        pk = model._meta.fields_map[model._meta.pk_attr]
        if not isinstance(pk, fields.BigIntField):
            assert NODE_KEY_MAX.get(node) == 2**31 - 1, node


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out
