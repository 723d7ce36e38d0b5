"""Every malformed or forged access token is a 401 before GraphQL runs: wrong ``typ``
header, an audience that is not the one of the token's kind, claims of another kind."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain import clock
from domain.auth.tables import SigningKey
from tests.conftest import partner_token, sign_in_member, sign_in_staff

QUERY = {"query": "{ viewer { kind } }"}


async def _signing_key(app):
    kid, key = await app.state.rt.keys.signer()
    return kid, key


def _claims(settings, **over):
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": f"{settings.jwt_audience}/member",
        "sub": "member:1",
        "iat": now,
        "exp": now + 600,
        "jti": "test-jti",
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def _encode(claims: dict, key, kid: str, typ: str | None = "at+jwt") -> str:
    headers = {"kid": kid} if typ is None else {"kid": kid, "typ": typ}
    return jwt.encode(claims, key, algorithm="EdDSA", headers=headers)


async def _status(client, token: str) -> int:
    r = await client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})
    if r.status_code == 401:
        assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert r.headers["www-authenticate"].startswith("Bearer")
    return r.status_code


async def test_a_good_token_passes(client, gql):
    tokens = await sign_in_member(gql)
    assert await _status(client, tokens["accessToken"]) == 200


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "future_nbf",
        "future_iat",
        "wrong_aud",
        "wrong_iss",
        "missing_exp",
        "missing_jti",
        "missing_sub",
        "bad_sub",
    ],
)
async def test_claims_rejected(client, app, settings, case):
    kid, key = await _signing_key(app)
    now = int(time.time())
    over = {
        "expired": {"iat": now - 1200, "exp": now - 600},
        "future_nbf": {"nbf": now + 3600},
        "future_iat": {"iat": now + 3600, "exp": now + 4200},
        "wrong_aud": {"aud": "another-api"},
        "wrong_iss": {"iss": "https://evil.example"},
        "missing_exp": {"exp": None},
        "missing_jti": {"jti": None},
        "missing_sub": {"sub": None},
        "bad_sub": {"sub": "admin"},
    }[case]
    token = _encode(_claims(settings, **over), key, kid)
    assert await _status(client, token) == 401


async def test_alg_none(client, settings, app):
    kid, _ = await _signing_key(app)
    token = jwt.encode(_claims(settings), None, algorithm="none", headers={"kid": kid})
    assert await _status(client, token) == 401


async def test_hs256_signed_with_the_public_key(client, settings, app):
    kid, _ = await _signing_key(app)
    row = await SigningKey.get(kid=kid)
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    # pyjwt refuses to use a PEM as an HMAC secret, so forge it by hand, as an attacker would
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(_claims(settings)).encode())
    sig = hmac.new(row.public_pem.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    assert await _status(client, f"{header}.{body}.{b64(sig)}") == 401


async def test_unknown_kid_and_foreign_key(client, settings, app):
    foreign = Ed25519PrivateKey.generate()
    token = jwt.encode(_claims(settings), foreign, algorithm="EdDSA", headers={"kid": "nope"})
    assert await _status(client, token) == 401
    kid, _ = await _signing_key(app)  # right kid, wrong key: signature fails
    token = jwt.encode(_claims(settings), foreign, algorithm="EdDSA", headers={"kid": kid})
    assert await _status(client, token) == 401


async def test_garbage_and_wrong_scheme(client):
    for header in ["Bearer", "Bearer not.a.jwt", "Token abc", "Basic Zm9vOmJhcg=="]:
        r = await client.post("/graphql", json=QUERY, headers={"Authorization": header})
        assert r.status_code == 401, header


async def test_rs256_with_a_made_up_key_is_refused(client, settings, app):
    from cryptography.hazmat.primitives.asymmetric import rsa

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    kid, _ = await _signing_key(app)
    token = jwt.encode(_claims(settings), pem, algorithm="RS256", headers={"kid": kid})
    assert await _status(client, token) == 401


async def test_a_token_checked_before_is_refused_once_it_expires(client, settings, app):
    """The signature is checked once per process; the times on every request."""
    kid, key = await _signing_key(app)
    claims = _claims(settings, exp=int(time.time()) + 120)
    token = _encode(claims, key, kid)
    assert await _status(client, token) == 200
    assert await _status(client, token) == 200
    clock.advance(timedelta(seconds=200))
    try:
        assert await _status(client, token) == 401
    finally:
        clock.reset()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert await _status(client, forged) == 401  # another string: checked afresh


async def test_a_hand_made_member_token_of_the_right_shape_passes(client, settings, app):
    """The forgeries below differ from this one in one thing each."""
    kid, key = await _signing_key(app)
    assert await _status(client, _encode(_claims(settings), key, kid)) == 200


@pytest.mark.parametrize("typ", [None, "JWT", "jwt", "id+jwt", "at+jwt+x", ""])
async def test_typ_header_must_say_access_token(client, settings, app, typ):
    kid, key = await _signing_key(app)
    assert await _status(client, _encode(_claims(settings), key, kid, typ=typ)) == 401


@pytest.mark.parametrize(
    "case",
    [
        "shared_audience",  # the audience all kinds shared before: a token of no kind
        "member_sub_partner_aud",
        "partner_sub_member_aud",
        "staff_sub_member_aud",
        "member_with_partner_scope",
        "member_with_staff_role",
        "partner_with_staff_role",
        "audience_list",
    ],
)
async def test_a_token_is_only_ever_its_own_kind(client, settings, app, case):
    kid, key = await _signing_key(app)
    base = settings.jwt_audience
    over = {
        "shared_audience": {"aud": base, "sub": "partner:1", "scope": "members:read"},
        "member_sub_partner_aud": {"aud": f"{base}/partner", "scope": "members:read"},
        "partner_sub_member_aud": {"sub": "partner:1", "scope": "members:read"},
        "staff_sub_member_aud": {"sub": "staff:1", "role": "admin"},
        "member_with_partner_scope": {"scope": "members:read"},
        "member_with_staff_role": {"role": "admin"},
        "partner_with_staff_role": {
            "sub": "partner:1",
            "aud": f"{base}/partner",
            "scope": "members:read",
            "role": "admin",
        },
        "audience_list": {"aud": [f"{base}/member", f"{base}/partner"], "sub": "partner:1"},
    }[case]
    assert await _status(client, _encode(_claims(settings, **over), key, kid)) == 401


async def test_issued_tokens_carry_typ_and_their_kinds_audience(client, gql, seed, settings):
    member = (await sign_in_member(gql))["accessToken"]
    staff = (await sign_in_staff(gql, seed["staff"][0])).token
    partner = await partner_token(client, seed["partner"])
    base = settings.jwt_audience
    for token, kind in ((member, "member"), (staff, "staff"), (partner, "partner")):
        assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["aud"] == f"{base}/{kind}" and claims["sub"].startswith(f"{kind}:")
        assert await _status(client, token) == 200
