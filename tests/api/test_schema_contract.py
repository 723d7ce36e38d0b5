"""The schema file is current; every domain error has a schema type; production hides IDE,
introspection and suggestions."""

from __future__ import annotations

from pathlib import Path

import httpx

from domain.errors import all_error_classes
from schema import build_schema
from schema.errors import ERROR_TYPES, NOT_GRAPHQL, UserError

SDL = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_graphql_is_current(settings):
    current = build_schema(settings).as_str() + "\n"
    assert SDL.exists(), "run: .venv/bin/python -m schema.export"
    assert SDL.read_text() == current, (
        "schema.graphql is stale: run .venv/bin/python -m schema.export"
    )


def test_every_domain_error_is_mapped():
    unmapped = [
        c.__name__ for c in all_error_classes() if c not in ERROR_TYPES and c not in NOT_GRAPHQL
    ]
    assert unmapped == []
    for cls in ERROR_TYPES.values():
        assert issubclass(cls, UserError)


async def test_production_hides_ide_introspection_and_suggestions(settings, app):
    from server import create_app

    prod = settings.model_copy(update={"graphiql": None, "introspection": None})
    object.__setattr__(prod, "app_env", "production")  # skip the validator: same test database
    assert not prod.graphiql_enabled and not prod.introspection_enabled
    prod_app = create_app(prod)
    # the database is already open in this process: share the running app's state
    prod_app.state.rt, prod_app.state.settings = app.state.rt, prod
    prod_app.state.broker, prod_app.state.relay = app.state.broker, app.state.relay
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=prod_app), base_url="http://t"
    ) as c:
        page = await c.get("/graphql", headers={"Accept": "text/html"})
        assert "graphiql" not in page.text.lower()
        intro = (await c.post("/graphql", json={"query": "{ __schema { types { name } } }"})).json()
        assert intro.get("data") is None
        assert "introspection" in intro["errors"][0]["message"].lower()
        typo = (await c.post("/graphql", json={"query": "{ viewr { kind } }"})).json()
        assert "Did you mean" not in typo["errors"][0]["message"]


async def test_get_queries_work_and_mutations_via_get_do_not(client):
    r = await client.get("/graphql", params={"query": "{ viewer { kind } }"})
    assert r.status_code == 200 and r.json()["data"]["viewer"]["kind"] == "ANONYMOUS"
    from domain.auth.tables import OtpChallenge

    before = await OtpChallenge.all().count()
    r = await client.get(
        "/graphql", params={"query": 'mutation { otpRequest(phone: "13911112222") { __typename } }'}
    )
    assert r.status_code == 405  # mutations only over POST (GraphQL over HTTP)
    assert await OtpChallenge.all().count() == before
