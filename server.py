"""The only web wiring: the Starlette app, its lifespan, middleware and routes,
and the ``loyalty`` ops CLI (``loyalty --help``)."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from prometheus_client import Counter, Histogram
from pythonjsonlogger.json import JsonFormatter
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.types import ExecutionResult
from tortoise import Tortoise

from domain.audit.services import Origin
from domain.audit.services import origin as audit_origin
from domain.auth import revocation
from domain.config import ConfigError, Settings, get_settings
from domain.db import tortoise_config
from domain.migrations import ensure_migrated
from domain.notifications.adapters import adapters_for
from domain.runtime import Runtime
from resolvers import graphiql, home, oauth
from resolvers.bearer import BearerBackend, auth_error
from resolvers.graphql_http import GraphQLOverHTTP
from resolvers.http_errors import JsonErrors, error_body, http_code, http_error
from resolvers.probes import healthz, metrics, readyz
from schema import build_schema
from schema.context import Context

log = logging.getLogger("loyalty.server")
access_log = logging.getLogger("loyalty.access")

REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("http_request_seconds", "HTTP request latency", ["route"])


# --- GraphQL ----------------------------------------------------------------------------


class LoyaltyGraphQL(GraphQLOverHTTP):
    def __init__(self, *args: Any, max_in_flight: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # First come, first served beyond GRAPHQL_MAX_IN_FLIGHT operations per process:
        # interleaving every request's many awaits made the slowest ones wait for all.
        self._in_flight = asyncio.Semaphore(max_in_flight) if max_in_flight else None

    async def get_context(self, request: Any, response: Any) -> Context:
        ip = client_ip(request)
        audit_origin.set(Origin(client_ip=ip, request_id=correlation_id.get() or ""))
        return Context(
            viewer=request.user.principal,
            rt=request.app.state.rt,
            client_ip=ip,
            publish=request.app.state.relay.kick,
            request=request,
            response=response,
        )

    render_graphql_ide = graphiql.render_ide  # its assets from this package, not a CDN

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def execute_single(
        self, request, request_adapter, sub_response, context, root_value, request_data
    ) -> ExecutionResult:
        """At most GRAPHQL_MAX_IN_FLIGHT operations at once, the rest in arrival order; a
        member's own query answered from the member-home cache when it can be
        (``resolvers.home``), otherwise executed, and cached if it may be."""

        async def execute() -> ExecutionResult:
            return await super(LoyaltyGraphQL, self).execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )

        if self._in_flight is None:
            return await home.answer(context, request_data, execute)
        async with self._in_flight:
            return await home.answer(context, request_data, execute)


def client_ip(request: Request) -> str:
    hops = request.app.state.settings.trusted_proxy_hops
    forwarded = [p.strip() for p in request.headers.get("x-forwarded-for", "").split(",") if p]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.client.host if request.client else "unknown"


# --- middleware ---------------------------------------------------------------------------


class BodyLimit:
    """Refuse request bodies over MAX_BODY_BYTES with 413, streamed or not."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await _too_large(scope, receive, send)
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(scope, receive, send)


class _TooLarge(Exception):
    pass


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    body = error_body("Request body too large.", http_code(413))
    response = JSONResponse(body, status_code=413)
    await response(scope, receive, send)


class AccessLog:
    """One JSON line per request, with the request id, and Prometheus counters."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            elapsed = time.perf_counter() - start
            route = scope["path"] if scope["path"] in _ROUTES else "other"
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(route).observe(elapsed)
            client = scope.get("client")
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": client[0] if client else None,
                },
            )


class BoundedJsonFormatter(JsonFormatter):
    """One JSON line per record, each value cut to LOG_MAX_VALUE_CHARS characters: a
    client-chosen string (a 1 MB variable in an error message) cannot make a line of any
    size; of a traceback the end is kept."""

    def __init__(self, *args: Any, max_value_chars: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_value_chars = max_value_chars

    def process_log_record(self, log_data: dict) -> dict:
        limit = self.max_value_chars
        for key, value in log_data.items():
            text = value if isinstance(value, str) else None
            if isinstance(value, (dict, list, tuple)):  # kept as JSON when short enough
                text = orjson.dumps(value, default=str).decode()
            if text is not None and len(text) > limit and key == "exc_info":
                # a traceback's end names the failing line and the exception
                log_data[key] = f"[{len(text) - limit} characters before]...{text[-limit:]}"
            elif text is not None and len(text) > limit:
                log_data[key] = f"{text[:limit]}...[{len(text) - limit} more characters]"
        return log_data


def configure_logging(settings: Settings) -> None:
    from asgi_correlation_id import CorrelationIdFilter

    handler = logging.StreamHandler()
    handler.addFilter(CorrelationIdFilter(uuid_length=32, default_value="-"))
    if settings.log_json:
        handler.setFormatter(
            BoundedJsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
                max_value_chars=settings.log_max_value_chars,
                rename_fields={
                    "correlation_id": "request_id",
                    "asctime": "time",
                    "levelname": "level",
                },
            )
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # its text handlers
        uvicorn_log = logging.getLogger(name)
        uvicorn_log.handlers.clear()
        uvicorn_log.propagate = True  # through ours: JSON, bounded, with the request id
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per 2 s run is noise


# --- the application ----------------------------------------------------------------------

_ROUTES = {"/graphql", "/oauth/token", "/healthz", "/readyz", "/metrics"}


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Starlette:
    settings = settings or get_settings()
    configure_logging(settings)
    schema = build_schema(settings)
    graphql = LoyaltyGraphQL(
        schema,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=True,
        max_in_flight=settings.graphql_max_in_flight,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
        try:
            await ensure_migrated(settings)
            rt = runtime or Runtime.build(settings)
            await rt.keys.load()
            adapters_for(settings)  # a channel that cannot send is a start-up error
            app.state.rt, app.state.settings = rt, settings
            async with _workers(app, settings, rt):
                _settle_gc()
                log.info("ready", extra={"graphiql": settings.graphiql_enabled})
                yield
            await revocation.stop(rt.cache)  # its pub/sub mirror, before the cache closes
            await rt.cache.aclose()
        finally:
            await Tortoise.close_connections()

    return Starlette(
        routes=[
            Route("/graphql", graphql),  # GET and POST: the view answers others 405 in JSON
            Route("/oauth/token", oauth.token, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            *graphiql.routes(settings.graphiql_enabled),
        ],
        middleware=[
            Middleware(AccessLog),
            Middleware(CorrelationIdMiddleware, header_name="X-Request-ID"),
            Middleware(JsonErrors),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                expose_headers=["X-Request-ID"],
                max_age=600,
            ),
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
            Middleware(AuthenticationMiddleware, backend=BearerBackend(), on_error=auth_error),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )


def _settle_gc() -> None:
    """Move everything built at start-up (schema, models, caches) out of the collector's
    reach and collect less often: a full collection walked all of it, and those pauses
    were the slowest requests' tail (p99)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


GC_THRESHOLD = 20_000  # allocations between young collections (CPython's default is 700)


@asynccontextmanager
async def _workers(app: Starlette, settings: Settings, rt: Runtime) -> AsyncIterator[None]:
    """Broker for sending; in the embedded default also the in-process worker + scheduler."""
    from workers.broker import bind_actors, make_broker
    from workers.relay import Relay
    from workers.runtime import set_runtime

    broker = make_broker(settings)
    app.state.broker, app.state.relay = broker, Relay()
    set_runtime(rt)
    if not settings.embedded:
        bind_actors(broker, settings)
        yield
        return
    from dramatiq import Worker

    from workers.middleware import EmbeddedLoop, RelayAfterActor, add_dead_letters
    from workers.scheduler import build_scheduler

    broker.add_middleware(EmbeddedLoop(asyncio.get_running_loop()))
    broker.add_middleware(RelayAfterActor())
    add_dead_letters(broker)
    bind_actors(broker, settings)
    worker = Worker(broker, worker_threads=settings.worker_threads, worker_timeout=100)
    worker.start()
    scheduler = build_scheduler(rt.cache)
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)
        await app.state.relay.drain()
        await asyncio.to_thread(worker.stop)


def __getattr__(name: str) -> Any:  # `uvicorn server:app` builds the app on first use
    if name == "app":
        global app
        try:
            app = create_app()
        except ConfigError as exc:  # bad settings: one line per variable, no traceback
            print(
                "\n".join(f"server:app: {line}" for line in str(exc).splitlines()), file=sys.stderr
            )
            raise SystemExit(2) from None
        return app
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> int:
    """The `loyalty` command (see domain/cli/)."""
    from domain.cli import run

    return run(argv)


if __name__ == "__main__":
    raise SystemExit(main())
