"""The app's HTTP error answers outside GraphQL's own: one JSON shape,
``{"errors": [{"message": ..., "extensions": {"code": ...}}]}``, for Starlette's routing
refusals (404, 405) and for any exception nothing handled (500, with the request id)."""

from __future__ import annotations

import logging
from typing import Any

from asgi_correlation_id import correlation_id
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("loyalty.http")

# extensions.code of an HTTP refusal, by status (documented in README)
HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    500: "INTERNAL_SERVER_ERROR",
}


def http_code(status: int) -> str:
    return HTTP_CODES.get(status, f"HTTP_{status}")


def error_body(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    """The API's one error shape, also for answers outside GraphQL."""
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


class JsonErrors:
    """Any exception no one handled answers a JSON 500 with the request id, and is logged
    as one line (not uvicorn's plain-text "Internal Server Error" and traceback)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            request_id = correlation_id.get() or ""
            log.error(
                "unhandled error",
                exc_info=exc,
                extra={"method": scope["method"], "path": scope["path"]},
            )
            if started:  # the answer is on its way: nothing else can be sent
                return
            body = error_body("Unexpected error.", http_code(500), requestId=request_id)
            await JSONResponse(body, status_code=500)(scope, receive, tracked)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (no route 404, method 405) in the API's error shape."""
    assert isinstance(exc, HTTPException)
    body = error_body(exc.detail, http_code(exc.status_code))
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
