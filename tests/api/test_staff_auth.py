"""Staff sign-in with argon2id passwords, and key rotation without downtime."""

from __future__ import annotations

from domain.auth.keys import rotate
from domain.auth.tables import RefreshToken, SigningKey
from tests.conftest import REFRESH, STAFF_SIGN_IN


async def test_staff_sign_in_and_role_in_viewer(gql, seed):
    email, password = seed["staff"]
    r = (await gql(STAFF_SIGN_IN, {"e": email.upper(), "p": password}))["data"]["staffSignIn"]
    assert r["__typename"] == "SignInSuccess"
    viewer = (await gql.as_(r["accessToken"])("{ viewer { kind role } }"))["data"]["viewer"]
    assert viewer == {"kind": "STAFF", "role": "ADMIN"}
    again = (await gql(REFRESH, {"t": r["refreshToken"]}))["data"]["tokenRefresh"]
    assert again["__typename"] == "SignInSuccess"


async def test_wrong_password_and_unknown_email_look_the_same(gql, seed):
    email, _ = seed["staff"]
    before = await RefreshToken.all().count()
    wrong = (await gql(STAFF_SIGN_IN, {"e": email, "p": "nope"}))["data"]["staffSignIn"]
    unknown = (await gql(STAFF_SIGN_IN, {"e": "x@y.cn", "p": "nope"}))["data"]["staffSignIn"]
    assert (
        wrong == unknown == {"__typename": "InvalidCredentialsError", "code": "INVALID_CREDENTIALS"}
    )
    assert await RefreshToken.all().count() == before


async def test_key_rotation_keeps_old_tokens_valid(gql, app, seed):
    email, password = seed["staff"]
    old = (await gql(STAFF_SIGN_IN, {"e": email, "p": password}))["data"]["staffSignIn"]
    rt = app.state.rt
    new_key, retired = await rotate(rt.cipher, max_token_ttl_s=3600)
    assert retired == []
    await rt.keys.load()  # what every process does within KEY_REFRESH_INTERVAL_S
    kid, _ = await rt.keys.signer()
    assert kid == new_key.kid
    # a token signed before the rotation still works; a new one is signed by the new key
    assert (await gql.as_(old["accessToken"])("{ viewer { kind } }"))["data"]
    fresh = (await gql(STAFF_SIGN_IN, {"e": email, "p": password}))["data"]["staffSignIn"]
    import jwt

    assert jwt.get_unverified_header(fresh["accessToken"])["kid"] == new_key.kid
    assert await SigningKey.filter(retired_at=None).count() >= 2
