"""Tortoise configuration: one app ("loyalty"), its model modules and migrations."""

from __future__ import annotations

from typing import Any

from domain.config import Settings

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
]


def connection_config(settings: Settings, *, migrating: bool = False) -> str | dict[str, Any]:
    url = settings.db_url
    if url.startswith("sqlite"):
        # A table rebuild in a migration would otherwise cascade deletes into child tables.
        return url + ("?foreign_keys=OFF" if migrating else "")
    if url.startswith(("postgres://", "postgresql://")):
        url = "asyncpg://" + url.split("://", 1)[1]
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}minsize=1&maxsize={settings.db_pool_size}"


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
