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


async def test_100_aliases_hidden_in_fragments_are_rejected(client, nothing_ran):
    aliases = " ".join(f"a{i}: viewer {{ kind }}" for i in range(100))
    query = (
        f"mutation M {{ {PROBE} ...F }} fragment F on Mutation {{ x: __typename }} "
        f"query Q {{ ...G }} fragment G on Query {{ {aliases} }}"
    )
    for op in ("M", "Q"):
        r = await client.post("/graphql", json={"query": query, "operationName": op})
        body = r.json()
        assert body.get("data") is None
        assert any("aliases found" in e["message"] for e in body["errors"]), body


async def test_100k_token_document_is_rejected_before_parsing_finishes(client, nothing_ran):
    query = f"mutation {{ {PROBE} }} query Q {{ " + "a " * 100_000 + "}"  # ~200 KB
    r = await client.post("/graphql", json={"query": query})
    body = r.json()
    assert body.get("data") is None
    assert "more than 5000 tokens" in body["errors"][0]["message"]


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
