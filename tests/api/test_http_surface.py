"""Health, readiness, metrics, request ids, body limit and CORS."""

from __future__ import annotations

import pytest


async def test_healthz_and_readyz(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


async def test_readyz_reports_a_dead_cache(client, app, monkeypatch):
    async def down():
        raise ConnectionError("redis down")

    monkeypatch.setattr(app.state.rt.cache, "ping", down)
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["cache"].startswith("down")


async def test_metrics_and_request_id(client):
    r = await client.get("/healthz", headers={"X-Request-ID": "a" * 32})
    assert r.headers["x-request-id"] == "a" * 32
    generated = (await client.get("/healthz")).headers["x-request-id"]
    assert len(generated) == 32
    metrics = await client.get("/metrics")
    assert 'http_requests_total{method="GET",route="/healthz",status="200"}' in metrics.text


async def test_body_limit(client, settings):
    big = "x" * (settings.max_body_bytes + 1)
    r = await client.post("/graphql", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {
        "errors": [
            {"message": "Request body too large.", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}
        ]
    }


async def test_graphql_request_errors_are_json_never_plain_text(client):
    """strawberry answered these in text/plain (and null or "hello" bodies with a 500)."""
    for body in ("null", '"hello"', "{", '{"query": "{ viewer { kind } }", "variables": 1}'):
        r = await client.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
        assert r.status_code == 400
        assert r.headers["content-type"].startswith("application/json")
        assert list(r.json()) == ["errors"]


async def test_cors_for_the_app_origins(client, settings):
    origin = settings.cors_origins[0]
    r = await client.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == origin
    evil = await client.options(
        "/graphql",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in evil.headers


async def test_start_up_objects_are_frozen_out_of_the_collector(app):
    import gc

    from server import GC_THRESHOLD

    assert gc.get_freeze_count() > 10_000  # the schema, models and caches built at start
    assert gc.get_threshold()[0] == GC_THRESHOLD


async def test_operations_beyond_the_limit_wait_their_turn(
    gql, client, seed, app, settings, monkeypatch
):
    import asyncio

    from domain.members import services
    from tests.factories import as_member, pos_and_member

    _, _, pk = await pos_and_member(gql, client, seed)
    member = await as_member(gql, app, pk)
    running, peak, real = 0, 0, services.me

    async def slow_me(rt, viewer):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return await real(rt, viewer)

    monkeypatch.setattr(services, "me", slow_me)
    answers = await asyncio.gather(*(member("{ me { id } }") for _ in range(20)))
    assert all(a["data"]["me"]["id"] for a in answers)  # every one answered
    assert peak == settings.graphql_max_in_flight == 6


async def test_routing_refusals_are_json_with_a_code(client):
    """Starlette answered these in plain text."""
    cases = [
        ("GET", "/oauth/token", 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/healthz", 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/nope", 404, "NOT_FOUND"),
    ]
    for method, path, status, code in cases:
        r = await client.request(method, path)
        assert r.status_code == status, (method, path)
        assert r.headers["content-type"] == "application/json"
        [error] = r.json()["errors"]
        assert error["extensions"] == {"code": code} and error["message"], error
    assert (await client.get("/oauth/token")).headers["allow"] == "POST"


@pytest.mark.masked_error_expected  # deliberate: the masking under test
async def test_an_unhandled_exception_is_a_json_500_with_the_request_id(
    client, monkeypatch, caplog
):
    """Not uvicorn's plain-text "Internal Server Error" with a traceback per frame: one
    bounded log line, and the caller gets the id to quote."""
    import logging

    from resolvers import probes

    def boom(*_args, **_kwargs):
        raise RuntimeError("secret detail " + "x" * 1_000)

    monkeypatch.setattr(probes, "generate_latest", boom)
    request_id = "b" * 32
    with caplog.at_level(logging.ERROR, logger="loyalty.http"):
        r = await client.get("/metrics", headers={"X-Request-ID": request_id})
    assert r.status_code == 500
    assert r.headers["x-request-id"] == request_id
    assert r.json() == {
        "errors": [
            {
                "message": "Unexpected error.",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
        ]
    }
    [record] = [rec for rec in caplog.records if rec.message == "unhandled error"]
    assert record.path == "/metrics"
    from server import BoundedJsonFormatter

    line = BoundedJsonFormatter(
        "%(message)s %(levelname)s", max_value_chars=2_000, rename_fields={}
    ).format(record)
    assert "\n" not in line and len(line) < 3_000
    assert "RuntimeError: secret detail" in line  # a traceback keeps its end


async def test_uvicorn_logs_through_the_json_handler(settings):
    """uvicorn configures its loggers (text handlers, not propagating) before it imports
    the app; the app's logging setup routes them through its JSON handler."""
    import logging

    from server import configure_logging

    text = logging.StreamHandler()
    for name in ("uvicorn", "uvicorn.error"):  # as uvicorn's LOGGING_CONFIG leaves them
        logging.getLogger(name).handlers[:] = [text]
        logging.getLogger(name).propagate = name != "uvicorn"
    configure_logging(settings)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        assert logger.handlers == [] and logger.propagate, name
    [handler] = logging.getLogger().handlers
    assert handler is not text
