"""Tortoise configuration: one app ("loyalty"), its model modules and migrations; opening
and closing the connections; the transaction and the unique-violation error that services
use. Outside ``tables.py``, ``store.py`` and this module, nothing imports tortoise (an
import-linter contract in pyproject.toml)."""

from __future__ import annotations

from typing import Any

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.config import Settings

__all__ = [  # IntegrityError and in_transaction: what services use instead of tortoise
    "APP_LABEL",
    "MODEL_MODULES",
    "IntegrityError",
    "close",
    "connection_config",
    "database_url",
    "in_transaction",
    "open_on_this_loop",
    "ping",
    "scoped_context",
    "tortoise_config",
]

APP_LABEL = "loyalty"

MODEL_MODULES = [
    "domain.org.tables",
    "domain.partners.tables",
    "domain.members.tables",
    "domain.auth.tables",
    "domain.notifications.tables",
    "domain.events.tables",
    "domain.catalog.tables",
    "domain.orders.tables",
    "domain.tiers.tables",
    "domain.coupons.tables",
    "domain.audit.tables",
    "domain.points.tables",
    "domain.feeds.tables",
]


def database_url(settings: Settings, *, migrating: bool = False) -> str:
    """The URL to connect with: migrations as the owner of the tables (DATABASE_OWNER_URL
    when set), everything else as the app role (DATABASE_URL)."""
    if migrating and settings.database_owner_url:
        return settings.database_owner_url
    return settings.db_url


def connection_config(settings: Settings, *, migrating: bool = False) -> str | dict[str, Any]:
    url = database_url(settings, migrating=migrating)
    if url.startswith("sqlite"):
        # A table rebuild in a migration would otherwise cascade deletes into child tables.
        return url + ("?foreign_keys=OFF" if migrating else "")
    if url.startswith(("postgres://", "postgresql://")):
        url = "asyncpg://" + url.split("://", 1)[1]
    sep = "&" if "?" in url else "?"
    config = expand_db_url(f"{url}{sep}minsize=1&maxsize={settings.db_pool_size}")
    if config["engine"] == "tortoise.backends.asyncpg":
        config["credentials"]["connection_class"] = PooledConnection
    return config


class PooledConnection(asyncpg.Connection):
    """An asyncpg connection that goes back to the pool without the reset round trip.

    Tortoise takes a pooled connection for every statement, and asyncpg's default release
    runs ``RESET ALL; CLOSE ALL; UNLISTEN *; SELECT pg_advisory_unlock_all()`` each time:
    one extra round trip per query. Nothing here leaves session state behind (no SET, no
    LISTEN, no cursors outside a transaction, advisory locks only transaction-scoped), and
    asyncpg still rolls back a transaction left open before the connection is reused.
    """

    def get_reset_query(self) -> str:
        return ""


def tortoise_config(settings: Settings, *, migrating: bool = False) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(settings, migrating=migrating)},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "migrations": "migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def ping() -> None:
    """One round trip to the database (readiness probe)."""
    from tortoise.connection import get_connection

    await get_connection("default").execute_query("SELECT 1")


async def open_on_this_loop(settings: Settings) -> None:
    """Open the connections on the running event loop (a worker's or the scheduler's)."""
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def close() -> None:
    await Tortoise.close_connections()


def scoped_context() -> TortoiseContext:
    """A Tortoise context of its own (a CLI command's): ``async with`` it, then ``init``."""
    return TortoiseContext()
