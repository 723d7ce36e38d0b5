"""Every string argument and input field has a declared length and character rule
(schema/input_rules.py), checked before any resolver runs: a broken rule is a typed
request error naming the field, never a 500, an "Unexpected error." or a traceback.

Each refused mutation also carries an ``otpRequest`` probe: if any resolver ran, an OTP
challenge would be written, so "nothing written" proves nothing ran.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from domain.auth.tables import OtpChallenge
from domain.notifications.tables import Message
from schema import build_schema
from schema.input_rules import BY_NAME, uncovered

SDL = Path(__file__).resolve().parents[2] / "schema.graphql"
PROBE = 'probe: otpRequest(phone: "13911117777") { __typename }'
LONG = "A" * 21
NUL = "SH\x0001"
DRAFT = {"storeCode": "SH01", "channel": "POS", "lines": []}
ORDER = {
    "externalId": "IR-1",
    "channel": "POS",
    "storeCode": "SH01",
    "paidAt": "2026-12-01T10:00:00Z",
    "lines": [],
    "totalPaidFen": 0,
}


def test_every_string_argument_and_input_field_has_a_rule(settings):
    """A new String, ID or JSON argument or input field fails here until schema/input_rules.py
    names its rule (BY_NAME for a name used everywhere, OVERRIDES for one coordinate)."""
    assert list(uncovered(build_schema(settings)._schema)) == []


def test_the_rules_are_documented_in_the_schema():
    sdl = SDL.read_text()
    assert "email: String!" in sdl and "At most 254 characters, no control characters." in sdl
    assert "At most 20 characters: letters, digits and ' _.:#/@-'." in sdl


@pytest.fixture
async def nothing_ran():
    before = (await OtpChallenge.all().count(), await Message.all().count())
    yield
    assert (await OtpChallenge.all().count(), await Message.all().count()) == before


def _refused(response, field: str) -> None:
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body, body
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": field}, body
    assert "Unexpected error" not in response.text


# (mutation or query, variables, the field named in the error)
CASES = [
    (
        'mutation($e: String!) { staffSignIn(email: $e, password: "x") { __typename } }',
        {"e": "a" * 300 + "@t.cn"},  # 305 characters
        "staffSignIn.email",
    ),
    (
        "query($c: String) { memberLookup(ref: { cardNumber: $c }) { __typename } }",
        {"c": "8" * 21},
        "memberLookup.ref.cardNumber",
    ),
    (
        'mutation($c: String!) { couponRedemptionVoid(code: $c, orderExternalId: "o") '
        "{ __typename } }",
        {"c": LONG},
        "couponRedemptionVoid.code",
    ),
    (
        "query($c: String!, $o: OrderDraftInput!) { couponValidate(code: $c, order: $o) "
        "{ __typename } }",
        {"c": LONG, "o": DRAFT},
        "couponValidate.code",
    ),
    (
        "mutation($i: CouponRedeemInput!) { couponRedeem(input: $i) { __typename } }",
        {"i": {"code": LONG, "orderExternalId": "o", "order": DRAFT}},
        "couponRedeem.input.code",
    ),
    (
        "mutation($c: String!) { couponClaim(templateCode: $c) { __typename } }",
        {"c": LONG},
        "couponClaim.templateCode",
    ),
    (
        'mutation($c: String!) { rewardRedeem(rewardCode: $c, requestId: "r") { __typename } }',
        {"c": LONG},
        "rewardRedeem.rewardCode",
    ),
    (
        "mutation($i: OrderCreateInput!) { orderCreate(input: $i) { __typename } }",
        {"i": {**ORDER, "storeCode": LONG}},
        "orderCreate.input.storeCode",
    ),
    (
        "mutation($i: MemberProfileInput!) { memberUpdate(input: $i) { __typename } }",
        {"i": {"homeStoreCode": LONG}},
        "memberUpdate.input.homeStoreCode",
    ),
    (
        "mutation($i: MemberProfileInput!) { memberUpdate(input: $i) { __typename } }",
        {"i": {"regionCode": LONG}},
        "memberUpdate.input.regionCode",
    ),
    (
        "mutation($i: OrderCreateInput!) { orderCreate(input: $i) { __typename } }",
        {
            "i": {
                **ORDER,
                "lines": [{"sku": "A1", "quantity": 1, "unitPriceFen": 1}] * 2
                + [{"sku": "A" * 41, "quantity": 1, "unitPriceFen": 1}],
            }
        },
        "orderCreate.input.lines.2.sku",
    ),
]


@pytest.mark.parametrize(("query", "variables", "field"), CASES, ids=[c[2] for c in CASES])
async def test_an_over_long_string_is_a_typed_error_naming_the_field(
    client, caplog, nothing_ran, query, variables, field
):
    if query.startswith("mutation") and "SignIn" not in query:  # one sign-in per request
        start = query.index("{") + 1  # the probe proves no resolver of the operation ran
        query = f"{query[:start]} {PROBE}{query[start:]}"
    r = await client.post("/graphql", json={"query": query, "variables": variables})
    _refused(r, field)
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR]


NUL_CASES = [
    ('mutation { probe: otpRequest(phone: "139\\u00001117777") { __typename } }', "probe.phone"),
    ('{ memberLookup(ref: { query: "a\\u0000b" }) { __typename } }', "memberLookup.ref.query"),
    ('{ products(category: "\\u0000") { edges { cursor } } }', "products.category"),
    (
        'mutation { staffSignIn(email: "a@test.cn", password: "p\\u0000") { __typename } }',
        "staffSignIn.password",
    ),
    (
        'mutation { memberUpdate(input: { displayName: "x\\u0000" }) { __typename } }',
        "memberUpdate.input.displayName",
    ),
]


@pytest.mark.parametrize(("query", "field"), NUL_CASES, ids=[c[1] for c in NUL_CASES])
async def test_a_nul_byte_in_a_string_argument_is_refused(
    client, caplog, nothing_ran, query, field
):
    r = await client.post("/graphql", json={"query": query})
    _refused(r, field)
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR]


async def test_a_nul_byte_sent_in_a_variable_is_refused(client, nothing_ran):
    query = "mutation($p: String!) { otpRequest(phone: $p) { __typename } }"
    r = await client.post("/graphql", json={"query": query, "variables": {"p": NUL}})
    _refused(r, "otpRequest.phone")


async def test_a_code_with_characters_outside_its_pattern_is_refused(client, nothing_ran):
    query = f'mutation {{ {PROBE} couponClaim(templateCode: "a<b>") {{ __typename }} }}'
    r = await client.post("/graphql", json={"query": query})
    _refused(r, "couponClaim.templateCode")
    assert "letters, digits" in r.json()["errors"][0]["message"]


async def test_strings_within_their_rules_reach_the_resolver(gql):
    """The rules let every ordinary value through: a wrong password is still answered by
    the sign-in itself, a code of 20 characters by the coupon service."""
    r = await gql(
        'mutation($e: String!) { staffSignIn(email: $e, password: "wrong") { __typename } }',
        {"e": "x" * 240 + "@test.cn"},
    )
    assert r["data"]["staffSignIn"]["__typename"] == "InvalidCredentialsError"
    assert BY_NAME["cardNumber"].max_length == 20


async def test_tier_upsert_refuses_benefits_that_are_not_an_object(gql, seed, ladder):
    from domain.tiers.tables import Tier
    from tests.conftest import sign_in_staff

    admin = await sign_in_staff(gql, *seed["staff"])
    before = [(t.code, t.benefits) for t in await Tier.all().order_by("rank")]
    query = """mutation($b: JSON) { tierUpsert(input: { code: "GOLD", name: "金卡会员", rank: 2,
      thresholdFen: 800000, benefits: $b }) { __typename } }"""
    for bad in ("x", [1, 2], 3, {"freeReturns": {"nested": True}}):
        r = await admin.raw(query, {"b": bad})
        _refused(r, "tierUpsert.input.benefits")
    assert [(t.code, t.benefits) for t in await Tier.all().order_by("rank")] == before
    ok = (await admin(query, {"b": None}))["data"]["tierUpsert"]
    assert ok["__typename"] == "Tier"


async def test_introspection_of_tier_input_carries_no_error(gql):
    """`TierInput.benefits` defaulted to {} which graphql-core cannot print as a default
    value: every introspection answered with an error (and graphql-js printSchema crashed)."""
    r = await gql('{ __type(name: "TierInput") { inputFields { name defaultValue } } }')
    assert "errors" not in r
    fields = {f["name"]: f["defaultValue"] for f in r["data"]["__type"]["inputFields"]}
    assert fields["benefits"] == "null"
    assert "benefits: JSON = null" in SDL.read_text()


async def test_a_log_line_is_bounded(settings, app):
    """A JSON log line cuts every value to LOG_MAX_VALUE_CHARS: a client-chosen 1 MB
    string in an error message cannot make a 1 MB line."""
    import json

    from server import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(settings.model_copy(update={"log_json": True}))
        formatter = root.handlers[0].formatter
        record = logging.LogRecord(
            "loyalty.test", logging.ERROR, __file__, 1, "bad %s", ("x" * 1_000_000,), None
        )
        record.extra_field = "y" * 50_000
        record.extra_list = ["z" * 100] * 1_000
        record.short = {"kept": "as JSON"}
        line = formatter.format(record)
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    assert len(line) < 4 * settings.log_max_value_chars + 500
    data = json.loads(line)
    assert data["message"].startswith("bad xxx") and data["message"].endswith("more characters]")
    assert data["extra_list"].endswith("more characters]") and data["short"] == {"kept": "as JSON"}
