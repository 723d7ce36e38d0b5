"""POST /oauth/token: OAuth 2.0 client credentials for partner apps (RFC 6749 section 4.4).

An adapter like the GraphQL resolvers: form and Basic header in, one domain service,
the RFC's JSON answers out (``invalid_client`` 401, ``invalid_request``, ``invalid_scope``
and ``unsupported_grant_type`` 400), never cached. Every field is checked first with the
input rules of the GraphQL arguments (``schema.input_rules``: length and characters):
a field that breaks one, a repeated field, or credentials sent both ways is an
``invalid_request`` that reads no database and counts no failure. Wrong secrets are
throttled per client id and per address (``domain.auth.throttle``): a throttled or
locked client gets 429 Too Many Requests (RFC 6585) with ``Retry-After`` and the
``invalid_client`` error body, whether or not the client id exists.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote

from asgi_correlation_id import correlation_id
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.audit.services import Origin
from domain.audit.services import origin as audit_origin
from domain.auth import credentials as auth
from domain.errors import InvalidClient, InvalidScope, RateLimited
from schema import input_rules as rules

# The rules of the GraphQL arguments that carry the same values.
_CLIENT_ID = rules.BY_NAME["clientId"]  # partnerDeactivate(clientId)
_SECRET = rules.BY_NAME["password"]  # a secret checked by argon2, like a staff password
_FIELDS = {
    "grant_type": rules.code(64),
    "client_id": _CLIENT_ID,
    "client_secret": _SECRET,
    "scope": rules.code(512),  # space-separated scopes, as long as PartnerApp.scopes
}


class _BadRequest(Exception):
    """Malformed: RFC 6749 ``invalid_request``."""


async def token(request: Request) -> Response:
    form = await request.form()
    try:
        fields = _fields(form)
        if not fields.get("grant_type"):
            raise _BadRequest
        if fields["grant_type"] != "client_credentials":
            return _oauth_error("unsupported_grant_type", 400)
        client_id, secret = _client_auth(request, fields)
    except _BadRequest:
        return _oauth_error("invalid_request", 400)
    if not client_id or not secret:
        return _oauth_error("invalid_client", 401)
    ip = _client_ip(request)
    audit_origin.set(Origin(client_ip=ip, request_id=correlation_id.get() or ""))
    try:
        token = await auth.client_credentials(
            request.app.state.rt, client_id, secret, fields.get("scope"), ip
        )
    except InvalidScope:
        return _oauth_error("invalid_scope", 400)
    except InvalidClient:
        return _oauth_error("invalid_client", 401)
    except RateLimited as exc:
        return _oauth_error(
            "invalid_client", 429, retry_after=exc.fields["retry_after_s"], why=exc.message
        )
    return JSONResponse(
        {
            "access_token": token.access_token,
            "token_type": "Bearer",
            "expires_in": token.expires_in,
            "scope": token.scope,
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def _fields(form: Any) -> dict[str, str]:
    """The known fields, each sent at most once, as text, within its rule (RFC 6749
    section 3.2: no repeated parameters; unknown ones are ignored; empty is absent)."""
    out = {}
    for name, rule in _FIELDS.items():
        values = form.getlist(name)
        if len(values) > 1 or (values and not isinstance(values[0], str)):
            raise _BadRequest
        if values and values[0]:
            _check(rule, values[0])
            out[name] = values[0]
    return out


def _check(rule: rules.Rule, value: str) -> None:
    if rule.problem(value):
        raise _BadRequest


def _client_auth(request: Request, fields: dict[str, str]) -> tuple[str | None, str | None]:
    """HTTP Basic (RFC 6749 section 2.3.1: each part form-encoded) or the form's fields,
    not both."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return fields.get("client_id"), fields.get("client_secret")
    if "client_id" in fields or "client_secret" in fields:
        raise _BadRequest  # more than one way of authenticating
    try:
        raw = base64.b64decode(header[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    cid, colon, secret = raw.partition(":")
    if not (cid and colon and secret):
        return None, None  # no credentials to check
    client_id, secret = unquote(cid), unquote(secret)
    _check(_CLIENT_ID, client_id)
    _check(_SECRET, secret)
    return client_id, secret


def _client_ip(request: Request) -> str:
    from server import client_ip  # the one reading of the trusted-proxy setting

    return client_ip(request)


def _oauth_error(
    error: str, status: int, retry_after: int | None = None, why: str = ""
) -> Response:
    headers = {"Cache-Control": "no-store"}
    body = {"error": error}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="oauth"'
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
        body["error_description"] = why
    return JSONResponse(body, status_code=status, headers=headers)
