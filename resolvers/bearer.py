"""Bearer tokens on every HTTP request (Starlette's authentication middleware): the
caller's principal, or a 401 before GraphQL runs when the token is bad or revoked
(``domain.auth.sessions.authenticate``)."""

from __future__ import annotations

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response

from domain.auth.model import ANONYMOUS, Principal
from domain.auth.sessions import authenticate
from domain.errors import InvalidAccessToken
from domain.runtime import Runtime


class Viewer(BaseUser):
    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return self.principal is not ANONYMOUS


class BearerBackend(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        if not header:
            return AuthCredentials(), Viewer(ANONYMOUS)
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "basic" and conn.url.path == "/oauth/token":
            return AuthCredentials(), Viewer(ANONYMOUS)  # client authentication, RFC 6749 2.3.1
        if conn.url.path in ("/metrics", "/readyz"):  # they check METRICS_TOKEN themselves
            return AuthCredentials(), Viewer(ANONYMOUS)
        if scheme.lower() != "bearer" or not token.strip():
            raise _AuthFailed("use the Bearer scheme")
        rt: Runtime = conn.app.state.rt
        try:
            principal = await authenticate(rt, token.strip())
        except InvalidAccessToken as exc:
            raise _AuthFailed(exc.message) from None
        return AuthCredentials(sorted(principal.scopes)), Viewer(principal)


class _AuthFailed(AuthenticationError):
    pass


def auth_error(conn: HTTPConnection, exc: Exception) -> Response:
    return JSONResponse(
        {
            "errors": [
                {"message": "Invalid access token.", "extensions": {"code": "UNAUTHENTICATED"}}
            ]
        },
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
