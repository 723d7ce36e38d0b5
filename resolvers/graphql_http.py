"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/) on top of
strawberry's ASGI view, which answers every request ``application/json`` with 200 and
its request-level refusals in plain text.

* Media types: a client that accepts ``application/graphql-response+json`` gets it;
  ``application/json``, ``*/*`` or no ``Accept`` get ``application/json``; anything
  else is 406. A POST must be ``Content-Type: application/json`` (else 415).
* Request errors (the body is not a JSON object, the document does not parse or
  validate, a variable or input rule is broken: nothing was executed) answer
  ``{"errors": [...]}`` without ``data``: 400 for ``application/graphql-response+json``,
  200 for ``application/json`` as the specification keeps for legacy clients.
  Malformed HTTP requests are 400 (or 405/406/413/415) with a JSON body for both.
* A document of several operations needs ``operationName`` (a request error,
  ``OPERATION_NAME_REQUIRED``, raised in ``schema.document_checks``).
* GET runs queries only: a mutation over GET is 405 with ``Allow: POST``; any method
  but GET and POST is 405 with ``Allow: GET, POST``.
"""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from resolvers.http_errors import error_body, http_code

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


class GraphQLOverHTTP(GraphQL):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        request = Request(scope=scope, receive=receive)
        media = response_media_type(request.headers.get("accept"))
        request.state.media_type = media or JSON
        request.state.request_error = False
        try:
            if media is None and not self._wants_ide(request):
                raise HTTPException(406, f"Accept {GRAPHQL_RESPONSE} or {JSON}.")
            if request.method == "POST":
                content_type, _ = parse_content_type(request.headers.get("content-type", ""))
                if content_type != JSON:
                    raise HTTPException(415, f"Send the request as Content-Type: {JSON}.")
            response = await self.run(request)
        except HTTPException as exc:
            response = self._error_response(request, exc)
        else:
            if request.state.request_error and request.state.media_type == GRAPHQL_RESPONSE:
                response.status_code = 400
            if response.media_type == JSON or response.headers.get("content-type") == JSON:
                response.headers["content-type"] = f"{request.state.media_type}; charset=utf-8"
        await response(scope, receive, send)

    def _wants_ide(self, request: Request) -> bool:
        return bool(self.graphql_ide) and self.should_render_graphql_ide(
            self.request_adapter_class(request)
        )

    def _error_response(self, request: Request, exc: HTTPException) -> Response:
        headers = {}
        if exc.status_code == 405:
            headers["Allow"] = "POST" if request.method == "GET" else "GET, POST"
        media = request.state.media_type
        return Response(
            orjson.dumps(error_body(exc.reason, http_code(exc.status_code))),
            status_code=exc.status_code,
            headers=headers,
            media_type=f"{media}; charset=utf-8",
        )

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses nesting deeper than 1,024 levels with a JSONDecodeError (the
        # stdlib decoder raised RecursionError: a 500)
        return orjson.loads(data)

    async def parse_http_body(self, request_adapter: Any) -> Any:
        if request_adapter.method == "POST":
            body = self.parse_json(await request_adapter.get_body())
            if not isinstance(body, dict):
                raise HTTPException(400, "The request body must be a JSON object.")
        request_data = await super().parse_http_body(request_adapter)
        if isinstance(request_data, GraphQLRequestData) and not isinstance(
            request_data.operation_name, (str, type(None))
        ):
            raise HTTPException(400, "`operationName` must be a string or null.")
        return request_data

    async def execute_single(
        self, request, request_adapter, sub_response, context, root_value, request_data
    ) -> ExecutionResult:
        try:
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as exc:
            if request_adapter.method == "GET" and isinstance(
                exc.__cause__, InvalidOperationTypeError
            ):
                raise HTTPException(405, "Mutations are sent with POST.") from exc
            raise

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        if is_request_error(result):
            request.state.request_error = True
            processed.pop("data", None)
        return processed


def is_request_error(result: ExecutionResult) -> bool:
    """Refused before execution: no data, and no error belongs to a field (a path)."""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer in, by the client's ``Accept`` (None: nothing we speak)."""
    if not accept or not accept.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        chosen = {
            GRAPHQL_RESPONSE: GRAPHQL_RESPONSE,
            JSON: JSON,
            "application/*": JSON,
            "*/*": JSON,
        }.get(media)
        if chosen is None or quality <= 0:
            continue
        rank = (quality, -position, chosen)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return best[2] if best else None
