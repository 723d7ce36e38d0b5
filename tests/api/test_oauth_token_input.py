"""Bad input at POST /oauth/token: every form field and Basic credential is checked
(length, characters) before anything reads the database, and answered with the RFC 6749
JSON errors, never a 500 (a NUL byte reached PostgreSQL, an over-long client id the
column's validator)."""

from __future__ import annotations

import base64

import pytest

from domain.audit.tables import AuditEntry

TOKEN = "/oauth/token"
GRANT = {"grant_type": "client_credentials"}


def _basic(raw: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


async def _failures() -> int:
    return await AuditEntry.filter(action="auth.sign_in_failed").count()


def _assert_oauth_error(r, status: int, error: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["error"] == error and "access_token" not in body
    assert "Traceback" not in r.text and len(r.text) < 300  # the input is not echoed


LONG_ID = "a" * 65
BAD_FORMS = [
    pytest.param(GRANT | {"client_id": LONG_ID, "client_secret": "x"}, id="long-id-form"),
    pytest.param(GRANT | {"client_id": "a\x00b", "client_secret": "x"}, id="nul-id-form"),
    pytest.param(GRANT | {"client_id": "a b", "client_secret": "x"}, id="space-in-id"),
    pytest.param(GRANT | {"client_id": "pa_x", "client_secret": "s\x00"}, id="nul-secret"),
    pytest.param(GRANT | {"client_id": "pa_x", "client_secret": "s" * 129}, id="long-secret"),
    pytest.param(
        GRANT | {"client_id": "pa_x", "client_secret": "x", "scope": "members:read\x00"},
        id="nul-scope",
    ),
    pytest.param(
        GRANT | {"client_id": "pa_x", "client_secret": "x", "scope": "m" * 600},
        id="long-scope",
    ),
]


@pytest.mark.parametrize("form", BAD_FORMS)
async def test_bad_form_fields_get_invalid_request(client, seed, form):
    before = await _failures()
    r = await client.post(TOKEN, data=form)
    _assert_oauth_error(r, 400, "invalid_request")
    assert await _failures() == before  # refused before any secret was checked


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(f"{LONG_ID}:secret", id="long-id"),
        pytest.param("a%00b:secret", id="nul-id-escaped"),
        pytest.param("pa_x:s%00", id="nul-secret-escaped"),
        pytest.param("pa_x:" + "s" * 129, id="long-secret"),
    ],
)
async def test_bad_basic_credentials_get_invalid_request(client, seed, raw):
    before = await _failures()
    r = await client.post(TOKEN, data=GRANT, headers=_basic(raw))
    _assert_oauth_error(r, 400, "invalid_request")
    assert await _failures() == before


async def test_unreadable_basic_header_gets_invalid_client(client, seed):
    r = await client.post(TOKEN, data=GRANT, headers={"Authorization": "Basic %%%"})
    _assert_oauth_error(r, 401, "invalid_client")
    assert r.headers["www-authenticate"] == 'Basic realm="oauth"'


async def test_two_ways_of_authenticating_or_repeated_fields_are_refused(client, seed):
    client_id, secret = seed["partner"]
    both = await client.post(
        TOKEN,
        data=GRANT | {"client_id": client_id, "client_secret": secret},
        auth=(client_id, secret),
    )
    _assert_oauth_error(both, 400, "invalid_request")
    repeated = await client.post(
        TOKEN,
        content=f"grant_type=client_credentials&client_id={client_id}&client_id=x"
        f"&client_secret={secret}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    _assert_oauth_error(repeated, 400, "invalid_request")


async def test_the_longest_valid_client_id_is_checked_like_any_other(client, seed):
    """64 characters is the column's size: unknown, so 401 (a counted failure), not 400."""
    before = await _failures()
    r = await client.post(TOKEN, data=GRANT, auth=("a" * 64, "secret"))
    _assert_oauth_error(r, 401, "invalid_client")
    assert await _failures() == before + 1


async def test_good_credentials_still_get_a_token(client, seed):
    client_id, secret = seed["partner"]
    form = await client.post(TOKEN, data=GRANT | {"client_id": client_id, "client_secret": secret})
    basic = await client.post(
        TOKEN, data=GRANT | {"scope": "members:read"}, auth=(client_id, secret)
    )
    assert form.status_code == basic.status_code == 200
    assert basic.json()["scope"] == "members:read"


async def test_partner_deactivate_refuses_a_client_id_longer_than_the_column(gql, seed):
    """The same rule guards the GraphQL argument: 65 characters was a 500, not a typed
    error; nothing is deactivated."""
    from domain.partners.tables import PartnerApp
    from tests.conftest import sign_in_staff

    active = await PartnerApp.filter(active=True).count()
    admin = await sign_in_staff(gql, seed["staff"][0])
    r = await admin.raw(
        'mutation { partnerDeactivate(clientId: "%s") { __typename } }' % ("a" * 65)
    )
    assert r.status_code == 200
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["field"] == "partnerDeactivate.clientId"
    assert await PartnerApp.filter(active=True).count() == active
