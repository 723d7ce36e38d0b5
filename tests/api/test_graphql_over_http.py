"""GraphQL over HTTP (graphql.github.io/graphql-over-http/draft), one test per rule:
media types, status codes, JSON bodies for every request-level error, GET for queries."""

from __future__ import annotations

import json

import pytest

from domain.auth.tables import OtpChallenge

GQL_RESPONSE = "application/graphql-response+json"
AS_GQL = {"Accept": GQL_RESPONSE}
AS_JSON = {"Accept": "application/json"}
MUTATION = 'mutation { otpRequest(phone: "13911116666") { __typename } }'


@pytest.fixture
async def nothing_written():
    before = await OtpChallenge.all().count()
    yield
    assert await OtpChallenge.all().count() == before


def _json_error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] in (GQL_RESPONSE, "application/json")
    body = response.json()
    assert "data" not in body and body["errors"][0]["message"], body
    return body


async def test_graphql_response_json_is_accepted_and_answered(client):
    r = await client.post("/graphql", json={"query": "{ viewer { kind } }"}, headers=AS_GQL)
    assert r.status_code == 200
    assert r.headers["content-type"] == f"{GQL_RESPONSE}; charset=utf-8"
    assert r.json() == {"data": {"viewer": {"kind": "ANONYMOUS"}}}


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/*", "text/html;q=0.9, application/json"],
)
async def test_json_clients_get_application_json(client, accept):
    headers = {"Accept": accept} if accept else {}
    if accept is None:
        client.headers.pop("accept", None)
    r = await client.post("/graphql", json={"query": "{ viewer { kind } }"}, headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"


async def test_the_preferred_media_type_wins(client):
    both = f"application/json;q=0.5, {GQL_RESPONSE}"
    r = await client.post("/graphql", json={"query": "{ x }"}, headers={"Accept": both})
    assert r.headers["content-type"].startswith(GQL_RESPONSE) and r.status_code == 400


@pytest.mark.parametrize(
    "query",
    ["{ viewer { kind }", "{ nope }", "query($x: Nope) { viewer { kind } }"],
    ids=["parse", "validate", "unknown type"],
)
async def test_a_document_that_fails_to_parse_or_validate_is_400(client, query):
    r = await client.post("/graphql", json={"query": query}, headers=AS_GQL)
    _json_error(r, 400)
    assert r.headers["content-type"].startswith(GQL_RESPONSE)


@pytest.mark.parametrize("query", ["{ viewer { kind }", "{ nope }"], ids=["parse", "validate"])
async def test_legacy_json_clients_get_200_with_errors(client, query):
    r = await client.post("/graphql", json={"query": query}, headers=AS_JSON)
    _json_error(r, 200)


async def test_a_broken_variable_or_input_rule_is_a_request_error(client, nothing_written):
    q = "mutation($p: String!) { otpRequest(phone: $p) { __typename } }"
    for variables in ({"p": 5}, {"p": "1" * 40}, {}):
        r = await client.post("/graphql", json={"query": q, "variables": variables}, headers=AS_GQL)
        _json_error(r, 400)


async def test_a_field_error_is_200_with_data(client):
    """Executed, with a field error: the response has data (null), so it is 200."""
    r = await client.post("/graphql", json={"query": "{ me { id } }"}, headers=AS_GQL)
    assert r.status_code == 200
    body = r.json()
    assert "data" in body and body["errors"][0]["path"] == ["me"]


async def test_get_runs_queries(client):
    r = await client.get("/graphql", params={"query": "{ viewer { kind } }"}, headers=AS_GQL)
    assert r.status_code == 200 and r.json()["data"]["viewer"]["kind"] == "ANONYMOUS"
    variables = json.dumps({"b": True})
    r = await client.get(
        "/graphql",
        params={
            "query": "query($b: Boolean!) { viewer { kind @include(if: $b) } }",
            "variables": variables,
        },
    )
    assert r.status_code == 200 and r.json()["data"]["viewer"]["kind"] == "ANONYMOUS"


@pytest.mark.parametrize("headers", [AS_GQL, AS_JSON])
async def test_a_mutation_over_get_is_405_with_allow_post(client, nothing_written, headers):
    r = await client.get("/graphql", params={"query": MUTATION}, headers=headers)
    _json_error(r, 405)
    assert r.headers["allow"] == "POST"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_405_with_a_json_body(client, method):
    r = await client.request(method, "/graphql", json={"query": "{ viewer { kind } }"})
    _json_error(r, 405)
    assert r.headers["allow"] == "GET, POST"


async def test_an_unacceptable_accept_header_is_406(client):
    r = await client.post(
        "/graphql", json={"query": "{ viewer { kind } }"}, headers={"Accept": "text/plain"}
    )
    _json_error(r, 406)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_a_post_that_is_not_json_is_415(client, nothing_written, content_type):
    body = json.dumps({"query": MUTATION})
    headers = {"Content-Type": content_type} if content_type else {}
    r = await client.post("/graphql", content=body, headers=headers)
    _json_error(r, 415)


@pytest.mark.parametrize(
    "body",
    ["null", '"hello"', "42", "true", "[]", "{not json", ""],
    ids=["null", "string", "number", "boolean", "array", "malformed", "empty"],
)
@pytest.mark.parametrize("headers", [AS_GQL, AS_JSON])
async def test_a_body_that_is_not_a_json_object_is_400(client, body, headers):
    r = await client.post(
        "/graphql", content=body, headers={**headers, "Content-Type": "application/json"}
    )
    _json_error(r, 400)


@pytest.mark.parametrize(
    "payload",
    [
        {"query": "{ viewer { kind } }", "variables": "x"},
        {"query": "{ viewer { kind } }", "variables": [1]},
        {"query": 5},
        {"query": "{ viewer { kind } }", "operationName": {"a": 1}},
        {},
    ],
    ids=["variables string", "variables list", "query number", "operationName object", "none"],
)
async def test_malformed_parameters_are_400(client, payload):
    r = await client.post("/graphql", json=payload, headers=AS_GQL)
    _json_error(r, 400)


async def test_variables_nested_5000_deep_are_400_not_500(client):
    nested = "[" * 5000 + "]" * 5000
    body = '{"query": "query($v: JSON) { viewer { kind } }", "variables": {"v": ' + nested + "}}"
    r = await client.post(
        "/graphql", content=body, headers={**AS_GQL, "Content-Type": "application/json"}
    )
    _json_error(r, 400)
    r = await client.get(
        "/graphql",
        params={"query": "{ viewer { kind } }", "variables": '{"v": ' + nested + "}"},
        headers=AS_GQL,
    )
    _json_error(r, 400)
