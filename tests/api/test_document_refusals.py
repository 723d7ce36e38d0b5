"""Document refusals that carry a code, made before full validation; several operations
need ``operationName``. Each abusive document carries an ``otpRequest``: an OTP challenge
written would prove that a resolver ran."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.auth.tables import OtpChallenge

PROBE = 'probe: otpRequest(phone: "13911119999") { __typename }'
AS_GQL = {"Accept": "application/graphql-response+json"}


@pytest.fixture
async def nothing_ran():
    before = await OtpChallenge.all().count()
    yield
    assert await OtpChallenge.all().count() == before


@pytest.fixture
def validations(monkeypatch) -> list[int]:
    """How many documents graphql-core's validation starts on during the test."""
    import importlib

    module = importlib.import_module("graphql.validation.validate")

    calls: list[int] = []
    real = module.TypeInfo

    def counted(schema):
        calls.append(1)
        return real(schema)

    monkeypatch.setattr(module, "TypeInfo", counted)
    return calls


def _refusal(response) -> dict:
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    return error


PAST_THE_ESTIMATE = [
    # the token estimate skips comments; the parser counts them
    f"mutation {{ {PROBE} }}" + "\n#" * 5_000,
    # the estimate counts `...F` as one token, the parser as two
    f"mutation {{ {PROBE} ...F {'...F ' * 600}}} fragment F on Mutation {{ __typename }}",
]


@pytest.mark.parametrize("query", PAST_THE_ESTIMATE, ids=["comments", "spreads"])
async def test_the_parsers_token_limit_is_refused_with_a_code(client, nothing_ran, query):
    error = _refusal(await client.post("/graphql", json={"query": query}))
    assert "Parsing aborted." in error["message"]
    assert error["extensions"] == {"code": "DOCUMENT_TOO_LARGE"}


async def test_a_document_nested_too_deeply_for_the_parser_is_refused_with_a_code(
    client, nothing_ran
):
    query = f"mutation {{ {PROBE} }} query Q {{ __typename(a: {'[' * 480}{']' * 480}) }}"
    r = await client.post("/graphql", json={"query": query, "operationName": "Q"})
    error = _refusal(r)
    assert "nested too deeply" in error["message"]
    assert error["extensions"] == {"code": "TOO_DEEP"}


async def test_970_duplicate_fields_are_refused_before_validation(client, nothing_ran, validations):
    """970 fit under the token limit: graphql-core compared them pairwise for ~170 ms,
    then answered "Validation aborted." without a code."""
    query = f"mutation {{ {PROBE} }} query Q {{ " + "__typename " * 970 + "}"
    r = await client.post("/graphql", json={"query": query, "operationName": "Q"})
    error = _refusal(r)
    assert error["extensions"] == {"code": "TOO_MANY_REPEATED_FIELDS"}
    assert "`__typename` is selected 970 times" in error["message"]
    assert validations == []


async def test_repeats_hidden_in_fragments_count_and_ten_pass(client, validations):
    spread = "query Q { ...A ... on Query { ...B } } "
    fragments = "fragment A on Query { " + "__typename " * 6 + "} "
    ok = fragments + "fragment B on Query { " + "__typename " * 4 + "}"
    body = (await client.post("/graphql", json={"query": f"{spread}{ok} # {uuid4()}"})).json()
    assert body == {"data": {"__typename": "Query"}}
    assert validations == [1]
    over = fragments + "fragment B on Query { " + "__typename " * 5 + "}"
    error = _refusal(await client.post("/graphql", json={"query": spread + over}))
    assert error["extensions"] == {"code": "TOO_MANY_REPEATED_FIELDS"}
    assert validations == [1]


async def test_validation_aborted_has_a_code(client, monkeypatch, nothing_ran):
    """What still reaches graphql-core's overlapping-fields budget (here made small) is
    refused with a code."""
    from graphql.validation.rules import overlapping_fields_can_be_merged as rule

    assert rule.MAX_COMPLEXITY_BUDGET == 50_000  # ours: ~17 ms of comparisons, not ~170
    monkeypatch.setattr(rule, "MAX_COMPLEXITY_BUDGET", 1_000)
    nested = ("viewer { " + "kind " * 10 + "} ") * 10
    query = f"mutation M {{ {PROBE} }} query Q {{ {nested} }} # {uuid4()}"
    r = await client.post("/graphql", json={"query": query, "operationName": "Q"})
    error = _refusal(r)
    assert error == {"message": "Validation aborted.", "extensions": {"code": "VALIDATION_ABORTED"}}


async def test_several_operations_without_operation_name_run_nothing(client, nothing_ran):
    """The GraphQL spec's GetOperation: strawberry ran the first operation (a mutation)."""
    query = f"mutation M {{ {PROBE} }} query Q {{ viewer {{ kind }} }}"
    r = await client.post("/graphql", json={"query": query}, headers=AS_GQL)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/graphql-response+json")
    error = _refusal(r)
    assert error["extensions"] == {"code": "OPERATION_NAME_REQUIRED"}
    legacy = await client.post("/graphql", json={"query": query, "operationName": None})
    assert legacy.status_code == 200
    assert _refusal(legacy)["extensions"] == {"code": "OPERATION_NAME_REQUIRED"}
    get = await client.get("/graphql", params={"query": query}, headers=AS_GQL)
    assert get.status_code == 400
    assert _refusal(get)["extensions"] == {"code": "OPERATION_NAME_REQUIRED"}
    named = await client.post("/graphql", json={"query": query, "operationName": "Q"})
    assert named.json() == {"data": {"viewer": {"kind": "ANONYMOUS"}}}


async def test_a_signed_in_session_is_not_signed_out_by_an_unnamed_document(gql, client):
    from tests.conftest import sign_in_member

    token = (await sign_in_member(gql))["accessToken"]
    auth = {"Authorization": f"Bearer {token}", **AS_GQL}
    query = "mutation m { signOut { __typename } } query q { viewer { kind } }"
    r = await client.post("/graphql", json={"query": query}, headers=auth)
    assert r.status_code == 400
    still = await client.post("/graphql", json={"query": "{ viewer { kind } }"}, headers=auth)
    assert still.json() == {"data": {"viewer": {"kind": "MEMBER"}}}
