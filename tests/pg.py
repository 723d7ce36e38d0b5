"""PostgreSQL for the test runs: the services it needs, the production split of roles (the
owner migrates, the app role that the API and workers use owns nothing), a database per
run, and admin SQL."""

from __future__ import annotations

import os
import socket

import pytest

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")

# The production split of roles: the owner migrates, the app (API, workers) owns nothing.
PG_OWNER, PG_APP = f"loyalty_owner_{os.getpid()}", f"loyalty_app_{os.getpid()}"


def pg_url(role: str, database: str) -> str:
    """A URL to ``database`` as ``role`` on the admin URL's server (trust auth locally)."""
    rest = PG_ADMIN_URL.split("://", 1)[1].split("@", 1)[-1].rsplit("/", 1)[0]
    return f"postgres://{role}@{rest}/{database}"


async def admin_sql(*statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"))
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


async def create_pg_database(name: str, owner: str, app: str) -> tuple[str, str]:
    """A fresh database owned by ``owner`` and a login role ``app`` that owns nothing;
    returns (owner URL, app URL)."""
    await drop_pg_database(name, owner, app)
    await admin_sql(
        f'CREATE ROLE "{owner}" LOGIN',
        f'CREATE ROLE "{app}" LOGIN',
        f'CREATE DATABASE "{name}" OWNER "{owner}"',
    )
    return pg_url(owner, name), pg_url(app, name)


async def drop_pg_database(name: str, owner: str, app: str) -> None:
    await admin_sql(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'DROP ROLE IF EXISTS "{app}"',
        f'DROP ROLE IF EXISTS "{owner}"',
    )


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_services() -> None:
    """PostgreSQL, Redis and RabbitMQ answer locally, or the pass is skipped (failed in CI)."""
    missing = [
        name
        for name, port in (("PostgreSQL", 5432), ("Redis", 6379), ("RabbitMQ", 5672))
        if not _reachable("127.0.0.1", port)
    ]
    if not missing:
        return
    reason = f"{', '.join(missing)} not running on 127.0.0.1 (start them or run .ci/run)"
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)
