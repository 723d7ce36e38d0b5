"""Abusive documents are refused before any resolver runs; unexpected errors are masked.

Each abusive document also carries an ``otpRequest`` mutation: if any resolver ran, an
OTP challenge would be written, so "nothing written" proves nothing ran.
"""

from __future__ import annotations

import pytest

from domain.auth.tables import OtpChallenge
from domain.notifications.tables import Message

PROBE = 'probe: otpRequest(phone: "13911119999") { __typename }'


@pytest.fixture
async def nothing_ran():
    before = (await OtpChallenge.all().count(), await Message.all().count())
    yield
    assert (await OtpChallenge.all().count(), await Message.all().count()) == before


def _codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code", "") or e["message"] for e in body["errors"]]


async def test_depth_20_is_rejected(client, nothing_ran):
    inner = "kind"
    for _ in range(20):
        inner = f"viewer {{ {inner} }}"  # not a valid nesting either, so also build a deep frag
    deep = 'node(id: "x") { ' * 19 + "id" + " }" * 19
    query = f"mutation {{ {PROBE} }} query Deep {{ {deep} }}"
    r = await client.post("/graphql", json={"query": query, "operationName": "Deep"})
    body = r.json()
    assert body.get("data") is None
    assert any("exceeds maximum operation depth" in e["message"] for e in body["errors"])
    assert {e["extensions"]["code"] for e in body["errors"] if "depth" in e["message"]} == {
        "TOO_DEEP"
    }


async def test_100_aliases_hidden_in_fragments_are_rejected(client, nothing_ran):
    aliases = " ".join(f"a{i}: viewer {{ kind }}" for i in range(100))  # 1,000 tokens
    query = (
        f"mutation M {{ {PROBE} ...F }} fragment F on Mutation {{ x: __typename }} "
        f"query Q {{ ...G }} fragment G on Query {{ {aliases} }}"
    )
    for op in ("M", "Q"):
        r = await client.post("/graphql", json={"query": query, "operationName": op})
        body = r.json()
        assert body.get("data") is None
        assert any("aliases found" in e["message"] for e in body["errors"]), body
        assert {e["extensions"]["code"] for e in body["errors"] if "aliases" in e["message"]} == {
            "TOO_MANY_ALIASES"
        }


@pytest.fixture
def parses(monkeypatch) -> list[int]:
    """How many documents graphql-core's parser starts on during the test."""
    from graphql.language.parser import Parser

    calls: list[int] = []
    real = Parser.parse_document

    def counted(self):
        calls.append(1)
        return real(self)

    monkeypatch.setattr(Parser, "parse_document", counted)
    return calls


async def test_an_over_long_document_is_refused_before_the_parser_sees_it(
    client, settings, nothing_ran, parses
):
    """5,000 duplicate fields (~200 ms to refuse when the parser and validation saw
    them): now refused by a length check on the raw text, so the parser never starts."""
    query = f"mutation {{ {PROBE} }} query Q {{ " + "viewer { kind } " * 5_000 + "}"
    assert len(query) > settings.gql_max_document_chars
    r = await client.post("/graphql", json={"query": query})
    assert r.status_code == 200
    assert r.json() == {
        "errors": [
            {
                "message": "The document is longer than 20000 characters (limit).",
                "extensions": {"code": "DOCUMENT_TOO_LARGE"},
            }
        ]
    }
    assert parses == []


async def test_a_document_over_1000_tokens_is_refused_before_the_parser_sees_it(
    client, settings, nothing_ran, parses
):
    query = f"mutation {{ {PROBE} }} query Q {{ " + "a " * 5_000 + "}"  # 10 KB, 5,000 tokens
    assert len(query) < settings.gql_max_document_chars
    r = await client.post("/graphql", json={"query": query})
    body = r.json()
    assert "data" not in body
    assert "more than 1000 tokens" in body["errors"][0]["message"]
    assert parses == []


async def test_the_token_estimate_leaves_close_calls_to_the_parser(client, parses):
    """Strings and comments hide words the lexer does not count as tokens: a document
    under the limit by the lexer's count is parsed and answered."""
    words = " ".join(["word"] * 2_000)
    query = f'# {words}\n{{ products(category: "{words[:90]}") {{ edges {{ cursor }} }} }}'
    body = (await client.post("/graphql", json={"query": query})).json()
    assert parses == [1]
    assert "tokens" not in str(body.get("errors"))


async def test_15_aliases_pass_and_16_are_refused(client):
    def doc(n: int) -> str:
        return "{ " + " ".join(f"a{i}: __typename" for i in range(n)) + " }"

    ok = (await client.post("/graphql", json={"query": doc(15)})).json()
    assert ok["data"] == {f"a{i}": "Query" for i in range(15)}
    refused = (await client.post("/graphql", json={"query": doc(16)})).json()
    assert "data" not in refused
    assert "16 aliases found" in refused["errors"][0]["message"]
    assert refused["errors"][0]["extensions"] == {"code": "TOO_MANY_ALIASES"}


async def test_two_sign_ins_in_one_request_are_refused(client, nothing_ran):
    """However they are spelled: aliases, fragments, inline fragments."""
    second = 'again: otpRequest(phone: "13911118888") { __typename }'
    documents = [
        f"mutation {{ {PROBE} {second} }}",
        f"mutation {{ {PROBE} ...F }} fragment F on Mutation {{ {second} }}",
        f"mutation {{ {PROBE} ... on Mutation {{ {second} }} }}",
        'mutation { a: staffSignIn(email: "a@test.cn", password: "x") { __typename } '
        'b: memberSignIn(phone: "13911119999", code: "1") { __typename } }',
    ]
    for query in documents:
        body = (await client.post("/graphql", json={"query": query})).json()
        assert "data" not in body
        assert _codes(body) == ["TOO_MANY_SIGN_INS"], body


async def test_one_sign_in_per_request_is_allowed(client):
    r = await client.post("/graphql", json={"query": f"mutation {{ {PROBE} }}"})
    assert r.json()["data"]["probe"]["__typename"] == "OtpRequestSuccess"


async def test_expensive_fields_count_in_the_cost(client, gql, nothing_ran):
    """Five pages of 100 products cost 4,510: ten cheap fields beside them pass the cost
    limit, ten customer360 look-ups (50 each) do not."""
    from tests.conftest import sign_in_member

    token = (await sign_in_member(gql))["accessToken"]
    pages = " ".join(
        f"p{i}: products(first: 100) {{ edges {{ node {{ ...P }} }} }}" for i in range(5)
    )
    fragment = (
        "fragment P on Product { id sku name categoryPath brand priceFen excludedFromPoints }"
    )
    cheap = " ".join(f"c{i}: viewer {{ kind }}" for i in range(10))
    costly = " ".join(f'c{i}: customer360(memberId: "x") {{ __typename }}' for i in range(10))
    auth = {"Authorization": f"Bearer {token}"}
    ok = await client.post(
        "/graphql", json={"query": f"query Q {{ {pages} {cheap} }} {fragment}"}, headers=auth
    )
    assert ok.json().get("errors") is None and len(ok.json()["data"]) == 15
    refused = await client.post(
        "/graphql", json={"query": f"query Q {{ {pages} {costly} }} {fragment}"}, headers=auth
    )
    assert _codes(refused.json()) == ["COST_LIMIT"]


async def test_cost_limit_counts_page_sizes_inside_fragments(client, gql, nothing_ran):
    from tests.conftest import sign_in_member

    token = (await sign_in_member(gql))["accessToken"]
    # each page: 1 + 100 x (edges 1 + node 1 + 7 fields) = 901; six pages = 5,406 > 5,000
    pages = " ".join(
        f"p{i}: products(first: 100) {{ edges {{ node {{ ...P }} }} }}" for i in range(6)
    )
    query = (
        f"query Q {{ {pages} }} "
        "fragment P on Product { id sku name categoryPath brand priceFen excludedFromPoints }"
    )
    r = await client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    body = r.json()
    assert body.get("data") is None
    assert _codes(body) == ["COST_LIMIT"]


@pytest.mark.masked_error_expected  # deliberate: the masking under test
async def test_an_exception_in_a_resolver_is_masked(gql, monkeypatch, caplog):
    from domain.catalog import services
    from tests.conftest import sign_in_member

    async def boom(**_kw):
        raise RuntimeError('SELECT * FROM members WHERE phone = "+8613800138000"')

    token = (await sign_in_member(gql))["accessToken"]
    monkeypatch.setattr(services, "page", boom)
    r = await gql.as_(token).raw("{ products(first: 1) { edges { cursor } } }")
    assert r.status_code == 200
    body = r.json()
    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": "Unexpected error.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["products"],
        }
    ]
    assert "SELECT" not in r.text and "138" not in r.text and "Traceback" not in r.text
    assert any("unexpected error" in rec.message for rec in caplog.records)  # logged once


async def test_bad_input_in_a_query_is_a_typed_error(gql):
    from tests.conftest import sign_in_member

    token = (await sign_in_member(gql))["accessToken"]
    r = await gql.as_(token)("{ products(first: 101) { edges { cursor } } }")
    assert r["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "between 1 and 100" in r["errors"][0]["message"]
    r = await gql.as_(token)('{ products(after: "bm90LWEtY3Vyc29y") { edges { cursor } } }')
    assert r["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_products_connection_pages_by_cursor(gql):
    from domain.catalog.tables import Product
    from tests.conftest import sign_in_member

    if await Product.all().count() < 3:
        for i in range(3):
            await Product.create(sku=f"T{i}", name=f"测试{i}", category_path="测试", price_fen=100)
    token = (await sign_in_member(gql))["accessToken"]
    q = """query($a: String) { products(first: 2, after: $a) {
      edges { cursor node { id sku } } pageInfo { hasNextPage endCursor } } }"""
    page1 = (await gql.as_(token)(q))["data"]["products"]
    page2 = (await gql.as_(token)(q, {"a": page1["pageInfo"]["endCursor"]}))["data"]["products"]
    skus1 = [e["node"]["sku"] for e in page1["edges"]]
    skus2 = [e["node"]["sku"] for e in page2["edges"]]
    assert len(skus1) == 2 and page1["pageInfo"]["hasNextPage"]
    assert skus2 and not set(skus1) & set(skus2)
    node_id = page1["edges"][0]["node"]["id"]
    found = await gql.as_(token)(
        "query($id: ID!) { node(id: $id) { ... on Product { sku } } }", {"id": node_id}
    )
    assert found["data"]["node"] == {"sku": skus1[0]}


async def test_a_repeated_document_is_validated_once(gql):
    """The limits' rules are built once, so the validation cache can hit: a document
    seen before is not validated again (it was, on every request, when the depth and
    alias rules were new classes per request)."""
    from uuid import uuid4

    from strawberry.extensions.validation_cache import _get_validate_cache

    cache = _get_validate_cache(1024)
    document = f"query Repeated{uuid4().hex} {{ __typename }}"
    before = cache.cache_info()
    for _ in range(3):
        assert (await gql(document))["data"] == {"__typename": "Query"}
    after = cache.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)


@pytest.fixture
async def production(settings, app):
    """A client of the app as APP_ENV=production builds it (introspection off), on the
    running app's database and runtime."""
    import httpx

    from server import create_app

    prod = settings.model_copy(update={"graphiql": None, "introspection": None})
    object.__setattr__(prod, "app_env", "production")  # skip the validator: same test database
    assert not prod.introspection_enabled
    prod_app = create_app(prod)
    prod_app.state.rt, prod_app.state.settings = app.state.rt, prod
    prod_app.state.broker, prod_app.state.relay = app.state.broker, app.state.relay
    transport = httpx.ASGITransport(app=prod_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


MISSPELLED = [
    ("field", "{ viewr { kind } }", None),
    ("argument", "{ products(frist: 1) { edges { cursor } } }", None),
    ("type name", "query($f: MemberFilterInptu) { viewer { kind } }", None),
    ("type condition", "{ viewer { ... on Viewr { kind } } }", None),
    ("input field", '{ members(filter: { phon: "1" }) { edges { cursor } } }', None),
    ("enum literal", "{ members(filter: { status: ACTIV }) { edges { cursor } } }", None),
    (
        "enum variable",
        "query($f: MemberFilterInput) { members(filter: $f) { edges { cursor } } }",
        {"f": {"status": "ACTIV"}},
    ),
    (
        "input field variable",
        "query($f: MemberFilterInput) { members(filter: $f) { edges { cursor } } }",
        {"f": {"phon": "1"}},
    ),
]


@pytest.mark.parametrize(("kind", "query", "variables"), MISSPELLED, ids=[m[0] for m in MISSPELLED])
async def test_production_suggests_nothing(production, client, kind, query, variables):
    dev = (await client.post("/graphql", json={"query": query, "variables": variables})).json()
    assert "Did you mean" in str(dev["errors"])  # the same mistake is suggested in development
    body = (await production.post("/graphql", json={"query": query, "variables": variables})).json()
    assert body["errors"] and "data" not in body
    assert "Did you mean" not in str(body["errors"]), body
