"""Access tokens are revocable: after sign-out, after a refresh token is replayed, after
a staff account or a partner app is deactivated, the old access token gets 401
UNAUTHENTICATED at once (a cache read per request, no database round trip)."""

from __future__ import annotations

import secrets

from domain.audit.tables import AuditEntry
from domain.org.services import create_staff
from domain.org.tables import Staff
from domain.partners.services import create_partner
from domain.partners.tables import PartnerApp
from tests.conftest import (
    REFRESH,
    STAFF_PASSWORD,
    STAFF_SIGN_IN,
    partner_token,
    sign_in_by_sms,
    sign_in_member,
    sign_in_staff,
)
from tests.factories import SIGN_OUT, status

STAFF_DEACTIVATE = """mutation($id: ID!) { staffDeactivate(staffId: $id) {
  __typename ... on StaffDeactivateSuccess { staffId } ... on UserError { code } } }"""
PARTNER_DEACTIVATE = """mutation($c: String!) { partnerDeactivate(clientId: $c) {
  __typename ... on PartnerDeactivateSuccess { clientId } ... on UserError { code } } }"""


async def new_staff(role: str = "service_agent") -> str:
    email = f"temp.{secrets.token_hex(4)}@test.cn"
    await create_staff(email, STAFF_PASSWORD, role)
    return email


async def test_member_sign_out_ends_that_session_only(client, gql):
    this = await sign_in_member(gql)
    other = await sign_in_member(gql)  # the same member on another device
    assert await status(client, this["accessToken"]) == 200
    out = await gql.as_(this["accessToken"])(SIGN_OUT)
    assert out["data"]["signOut"] == {"signedOut": True}
    assert await status(client, this["accessToken"]) == 401
    again = (await gql(REFRESH, {"t": this["refreshToken"]}))["data"]["tokenRefresh"]
    assert again["__typename"] == "InvalidRefreshTokenError"
    assert await status(client, other["accessToken"]) == 200  # another session lives on


async def test_staff_sign_out_by_refresh_token(client, gql, seed):
    email = await new_staff()
    r = (await gql(STAFF_SIGN_IN, {"e": email, "p": STAFF_PASSWORD}))["data"]["staffSignIn"]
    assert await status(client, r["accessToken"]) == 200
    out = await gql(SIGN_OUT, {"t": r["refreshToken"]})  # anonymous: the token is the proof
    assert out["data"]["signOut"] == {"signedOut": True}
    assert await status(client, r["accessToken"]) == 401
    unknown = await gql(SIGN_OUT, {"t": "nothing.here"})
    assert unknown["data"]["signOut"] == {"signedOut": False}


async def test_refresh_reuse_revokes_the_access_tokens_of_the_family(client, gql):
    first = await sign_in_member(gql)
    rotated = (await gql(REFRESH, {"t": first["refreshToken"]}))["data"]["tokenRefresh"]
    assert await status(client, rotated["accessToken"]) == 200
    replay = (await gql(REFRESH, {"t": first["refreshToken"]}))["data"]["tokenRefresh"]
    assert replay["__typename"] == "RefreshTokenReusedError"
    assert await status(client, first["accessToken"]) == 401  # the thief's
    assert await status(client, rotated["accessToken"]) == 401  # and the holder's


async def test_deactivated_staff_is_signed_out_everywhere(client, gql, seed):
    email = await new_staff()
    staff = await Staff.get(email=email)
    r = (await gql(STAFF_SIGN_IN, {"e": email, "p": STAFF_PASSWORD}))["data"]["staffSignIn"]
    assert await status(client, r["accessToken"]) == 200

    analyst = await sign_in_staff(gql, "analyst@test.cn")
    denied = await analyst(STAFF_DEACTIVATE, {"id": str(staff.id)})
    assert denied["data"] is None and denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await Staff.get(id=staff.id)).active
    assert await status(client, r["accessToken"]) == 200

    admin = await sign_in_staff(gql, seed["staff"][0])
    done = (await admin(STAFF_DEACTIVATE, {"id": str(staff.id)}))["data"]["staffDeactivate"]
    assert done == {"__typename": "StaffDeactivateSuccess", "staffId": str(staff.id)}
    assert await status(client, r["accessToken"]) == 401
    assert not (await Staff.get(id=staff.id)).active
    again = (await gql(STAFF_SIGN_IN, {"e": email, "p": STAFF_PASSWORD}))["data"]
    assert again["staffSignIn"] == {
        "__typename": "InvalidCredentialsError",
        "code": "INVALID_CREDENTIALS",
    }
    refreshed = (await gql(REFRESH, {"t": r["refreshToken"]}))["data"]["tokenRefresh"]
    assert refreshed["__typename"] == "InvalidRefreshTokenError"
    row = await AuditEntry.filter(action="staff.deactivate", target_id=str(staff.id)).first()
    assert row is not None and row.actor.startswith("staff:") and row.actor_role == "admin"


async def test_staff_deactivate_bad_and_unknown_ids(gql, seed):
    admin = await sign_in_staff(gql, seed["staff"][0])
    bad = (await admin(STAFF_DEACTIVATE, {"id": "abc"}))["data"]["staffDeactivate"]
    assert bad == {"__typename": "InvalidInputError", "code": "INVALID_INPUT"}
    gone = (await admin(STAFF_DEACTIVATE, {"id": "999999"}))["data"]["staffDeactivate"]
    assert gone == {"__typename": "NotFoundError", "code": "NOT_FOUND"}


async def test_deactivated_partner_token_and_credentials_stop(client, gql, seed):
    app, secret = await create_partner(f"temp-{secrets.token_hex(3)}", ["members:read"])
    token = await partner_token(client, (app.client_id, secret))
    assert await status(client, token) == 200

    admin = await sign_in_staff(gql, seed["staff"][0])
    done = (await admin(PARTNER_DEACTIVATE, {"c": app.client_id}))["data"]
    assert done["partnerDeactivate"] == {
        "__typename": "PartnerDeactivateSuccess",
        "clientId": app.client_id,
    }
    assert await status(client, token) == 401
    assert not (await PartnerApp.get(id=app.id)).active
    r = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(app.client_id, secret)
    )
    assert r.status_code == 401 and r.json() == {"error": "invalid_client"}
    assert await AuditEntry.filter(action="partner.deactivate", target_id=str(app.id)).exists()
    unknown = (await admin(PARTNER_DEACTIVATE, {"c": "pa_nobody"}))["data"]
    assert unknown["partnerDeactivate"] == {"__typename": "NotFoundError", "code": "NOT_FOUND"}


async def test_an_unreachable_cache_lets_valid_tokens_through(
    client, gql, app, monkeypatch, caplog
):
    """The check fails open (tokens live minutes): no 500s while the cache is away."""
    tokens = await sign_in_member(gql)

    async def unreachable(keys):
        raise ConnectionError("cache down")

    monkeypatch.setattr(app.state.rt.cache, "mget", unreachable)
    assert await status(client, tokens["accessToken"]) == 200
    assert await status(client, "not.a.token") == 401  # verification itself still holds


async def test_a_frozen_member_is_signed_out_everywhere(client, gql, seed):
    """Freezing a member (staff, memberUpdateByStaff) refuses the access tokens it already
    holds at once, as deactivating staff or a partner does; unfreezing does not revive them."""
    tokens = await sign_in_by_sms(gql, "+8613900007788")
    me = await gql.as_(tokens["accessToken"])("{ me { id } }")
    member_id = me["data"]["me"]["id"]
    freeze = """mutation($m: ID!, $s: MemberStatus!) { memberUpdateByStaff(memberId: $m,
      input: {status: $s}) { __typename ... on Member { status } } }"""
    agent = await sign_in_staff(gql, "agent@test.cn")
    assert await status(client, tokens["accessToken"]) == 200

    frozen = (await agent(freeze, {"m": member_id, "s": "FROZEN"}))["data"]
    assert frozen["memberUpdateByStaff"] == {"__typename": "Member", "status": "FROZEN"}
    assert await status(client, tokens["accessToken"]) == 401
    refreshed = (await gql(REFRESH, {"t": tokens["refreshToken"]}))["data"]["tokenRefresh"]
    assert refreshed["__typename"] != "SignInSuccess"

    thawed = (await agent(freeze, {"m": member_id, "s": "ACTIVE"}))["data"]
    assert thawed["memberUpdateByStaff"] == {"__typename": "Member", "status": "ACTIVE"}
    assert await status(client, tokens["accessToken"]) == 401
