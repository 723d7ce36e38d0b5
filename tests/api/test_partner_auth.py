"""Partner apps: OAuth 2.0 client credentials and scopes on fields."""

from __future__ import annotations

from tests.conftest import TEST_PHONE, partner_token

LOOKUP = """query($p: String!) { memberLookup(ref: {phone: $p}) {
  __typename ... on Member { id phone } ... on UserError { code } } }"""


async def test_wrong_secret_is_401_with_rfc6749_error_body(client, seed):
    client_id, _ = seed["partner"]
    r = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "wrong")
    )
    assert r.status_code == 401
    assert r.json() == {"error": "invalid_client"}
    assert r.headers["cache-control"] == "no-store"
    assert "access_token" not in r.text


async def test_unknown_client_and_credentials_in_body(client, seed):
    r = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
    )
    assert r.status_code == 401 and r.json() == {"error": "invalid_client"}
    client_id, secret = seed["partner"]
    ok = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert ok.status_code == 200
    assert ok.json()["token_type"] == "Bearer"
    assert ok.json()["scope"] == "members:read members:write orders:write"


async def test_unsupported_grant_and_ungranted_scope(client, seed):
    r = await client.post("/oauth/token", data={"grant_type": "password"}, auth=seed["partner"])
    assert r.status_code == 400 and r.json() == {"error": "unsupported_grant_type"}
    r = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "members:read"},
        auth=seed["narrow_partner"],
    )
    assert r.status_code == 400 and r.json() == {"error": "invalid_scope"}


async def test_right_secret_token_reads_with_its_scope(gql, client, seed):
    token = await partner_token(client, seed["partner"], "members:read")
    r = await gql.as_(token)(LOOKUP, {"p": TEST_PHONE})
    # the phone of a member is masked for a partner
    member = r["data"]["memberLookup"]
    if member["__typename"] == "NotFoundError":  # the test member signs in elsewhere first
        from tests.conftest import sign_in_member

        await sign_in_member(gql)
        member = (await gql.as_(token)(LOOKUP, {"p": TEST_PHONE}))["data"]["memberLookup"]
    assert member["__typename"] == "Member"
    assert member["phone"] == "138****8000"
    viewer = await gql.as_(token)("{ viewer { kind scopes } }")
    assert viewer["data"]["viewer"] == {"kind": "PARTNER", "scopes": ["members:read"]}


async def test_token_without_the_scope_is_refused_on_the_field(gql, client, seed):
    token = await partner_token(client, seed["narrow_partner"])
    r = await gql.as_(token)(LOOKUP, {"p": TEST_PHONE})
    assert r["data"] is None
    assert r["errors"][0]["path"] == ["memberLookup"]
    assert r["errors"][0]["extensions"] == {"code": "FORBIDDEN", "requiredScope": "members:read"}


async def test_partner_scope_subset_is_narrowed(client, seed):
    r = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "orders:write"},
        auth=seed["partner"],
    )
    assert r.status_code == 200 and r.json()["scope"] == "orders:write"


async def test_malformed_basic_header_is_invalid_client(client):
    for header in ["Basic !!!notbase64", "Basic " + "w4k=", "Basic "]:
        r = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": header},
        )
        assert r.status_code == 401 and r.json() == {"error": "invalid_client"}, header
