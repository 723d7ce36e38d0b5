"""/metrics and the details of /readyz are for operators only: behind METRICS_TOKEN
(Bearer), and closed in production when no token is set; the outside learns only
ready / not ready."""

from __future__ import annotations

import pytest

TOKEN = "scrape-" + "x" * 32


@pytest.fixture
def production(app, monkeypatch):
    def configure(token: str = "") -> None:
        s = app.state.settings.model_copy(update={"app_env": "production", "metrics_token": token})
        monkeypatch.setitem(app.state._state, "settings", s)  # Starlette's State: a dict

    return configure


async def test_production_without_a_token_closes_metrics_and_readiness_details(client, production):
    production()
    metrics = await client.get("/metrics")
    assert metrics.status_code == 403 and "http_requests_total" not in metrics.text
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok"}


async def test_the_metrics_token_opens_metrics_and_readiness_details(client, production):
    production(TOKEN)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        denied = await client.get("/metrics", headers=headers)
        assert denied.status_code == 401 and "http_requests_total" not in denied.text
        assert denied.headers["www-authenticate"].startswith("Bearer")
        assert (await client.get("/readyz", headers=headers)).json() == {"status": "ok"}
    scraper = {"Authorization": f"Bearer {TOKEN}"}
    metrics = await client.get("/metrics", headers=scraper)
    assert metrics.status_code == 200 and "http_requests_total" in metrics.text
    ready = (await client.get("/readyz", headers=scraper)).json()
    assert ready["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}
    assert "deadLetters" in ready


async def test_not_ready_says_only_that_to_the_outside(client, app, production, monkeypatch):
    production(TOKEN)

    async def down():
        raise ConnectionError("redis down at 10.0.0.7:6379")

    monkeypatch.setattr(app.state.rt.cache, "ping", down)
    outside = await client.get("/readyz")
    assert outside.status_code == 503 and outside.json() == {"status": "unavailable"}
    inside = await client.get("/readyz", headers={"Authorization": f"Bearer {TOKEN}"})
    assert inside.status_code == 503 and inside.json()["checks"]["cache"].startswith("down")
