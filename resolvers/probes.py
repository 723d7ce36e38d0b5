"""Plain-HTTP probes: ``/healthz`` (process alive), ``/readyz`` (database, cache and
broker reachable, else 503) and ``/metrics`` (Prometheus), with queue depth, dead
letters and outbox backlog in both.

Who sees what: with METRICS_TOKEN set, ``/metrics`` and the details of ``/readyz`` (which
check failed, queue depths) need ``Authorization: Bearer <METRICS_TOKEN>``; everyone else
gets only ready / not ready. Without a token they are open in development and closed in
production (``/metrics`` answers 403). A token rather than a second port: every API
process serves metrics through the same listener and ingress, and Prometheus sends a
bearer token natively (``authorization: credentials_file``)."""

from __future__ import annotations

import asyncio
import hmac
import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Gauge,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain import db
from domain.events import dead_letters, outbox
from workers.broker import ping, queue_depth

QUEUE_DEPTH = Gauge("job_queue_depth", "Messages waiting per job queue", ["queue"])
DEAD_LETTERS = Gauge("job_dead_letters", "Jobs that failed every retry, not yet replayed")


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def insider(request: Request) -> bool:
    """The caller may see metrics and readiness details."""
    settings = request.app.state.settings
    if not settings.metrics_token:
        return not settings.production
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = settings.metrics_token.encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)


def _refused(request: Request) -> Response:
    if not request.app.state.settings.metrics_token:
        return JSONResponse({"error": "metrics are off: set METRICS_TOKEN"}, status_code=403)
    return JSONResponse(
        {"error": "send Authorization: Bearer <METRICS_TOKEN>"},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
    )


async def readyz(request: Request) -> Response:
    state = request.app.state
    checks: dict[str, str] = {}

    async def check(name: str, probe: Any) -> None:
        try:
            await asyncio.wait_for(probe, timeout=2)
            checks[name] = "ok"
        except Exception as exc:  # report, never raise: this endpoint exists to say what is down
            checks[name] = f"down: {type(exc).__name__}"

    await check("database", db.ping())
    await check("cache", state.rt.cache.ping())
    await check("broker", asyncio.to_thread(ping, state.broker))
    ok = all(v == "ok" for v in checks.values())
    body: dict[str, Any] = {"status": "ok" if ok else "unavailable"}
    if insider(request):
        body["checks"] = checks
        body.update(await job_figures(state))
    return JSONResponse(body, status_code=200 if ok else 503)


async def job_figures(state: Any) -> dict[str, Any]:
    """Queue depth, dead letters and waiting outbox events, also set as gauges.
    Informative: a failure here never makes the process unready."""
    try:
        depth = await asyncio.wait_for(asyncio.to_thread(queue_depth, state.broker), timeout=2)
        dead, waiting = await dead_letters.waiting(), await outbox.undispatched_count()
    except Exception:
        return {}
    QUEUE_DEPTH.clear()
    for name, n in depth.items():
        QUEUE_DEPTH.labels(queue=name).set(n)
    DEAD_LETTERS.set(dead)
    return {"queues": depth, "deadLetters": dead, "outboxWaiting": waiting}


async def metrics(request: Request) -> Response:
    if not insider(request):
        return _refused(request)
    await job_figures(request.app.state)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
