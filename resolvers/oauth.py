"""POST /oauth/token: OAuth 2.0 client credentials for partner apps (RFC 6749 section 4.4).

An adapter like the GraphQL resolvers: form and Basic header in, one domain service,
the RFC's JSON answers out (``invalid_client`` 401, ``invalid_scope`` and
``unsupported_grant_type`` 400), never cached. Wrong secrets are throttled per client id
and per address (``domain.auth.throttle``): a throttled or locked client gets 429 Too
Many Requests (RFC 6585) with ``Retry-After`` and the ``invalid_client`` error body,
whether or not the client id exists.
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


async def token(request: Request) -> Response:
    form = await request.form()
    if form.get("grant_type") != "client_credentials":
        return _oauth_error("unsupported_grant_type", 400)
    client_id, secret = _client_auth(request, form)
    if not client_id or not secret:
        return _oauth_error("invalid_client", 401)
    ip = _client_ip(request)
    audit_origin.set(Origin(client_ip=ip, request_id=correlation_id.get() or ""))
    try:
        token = await auth.client_credentials(
            request.app.state.rt, client_id, secret, _str(form.get("scope")), ip
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


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _client_auth(request: Request, form: Any) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            raw = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        cid, _, secret = raw.partition(":")
        return unquote(cid), unquote(secret)
    return _str(form.get("client_id")), _str(form.get("client_secret"))


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
