"""Every malformed or forged access token is a 401 before GraphQL runs."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain import clock
from domain.auth.tables import SigningKey
from tests.conftest import sign_in_member

QUERY = {"query": "{ viewer { kind } }"}


async def _signing_key(app):
    kid, key = await app.state.rt.keys.signer()
    return kid, key


def _claims(settings, **over):
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "member:1",
        "iat": now,
        "exp": now + 600,
        "jti": "test-jti",
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


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
    token = jwt.encode(_claims(settings, **over), key, algorithm="EdDSA", headers={"kid": kid})
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
    token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})
    assert await _status(client, token) == 200
    assert await _status(client, token) == 200
    clock.advance(timedelta(seconds=200))
    try:
        assert await _status(client, token) == 401
    finally:
        clock.reset()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert await _status(client, forged) == 401  # another string: checked afresh
