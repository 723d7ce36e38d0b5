"""Schema migrations with Tortoise's built-in system (files in ``migrations/``).

``migrate`` is the release command; the API refuses to start while ``pending``
is not empty, while its role cannot read the migration records, or, in production,
while its database role could act as the tables' owner (``domain.db_roles``);
``drift`` lists model changes that have no migration yet (CI fails on any).
"""

from __future__ import annotations

from collections.abc import Callable

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor

from domain import db_roles
from domain.config import Settings
from domain.db import APP_LABEL, tortoise_config


class NotMigrated(RuntimeError):
    """The database lacks migrations that this code needs."""


def _apps_config(config: dict) -> dict[str, dict]:
    return {APP_LABEL: config["apps"][APP_LABEL]}


async def migrate(settings: Settings, progress: Callable[[str], None] = print) -> int:
    """Apply every pending migration; returns how many were applied."""
    config = tortoise_config(settings, migrating=True)
    applied = 0

    def report(event: str, app_label: str, name: str) -> None:
        nonlocal applied
        if event == "apply_done":
            applied += 1
            progress(f"applied {app_label}.{name}")

    async with TortoiseContext() as ctx:
        await ctx.init(config=config, init_connections=False)
        executor = MigrationExecutor(get_connection("default"), _apps_config(config))
        await executor.migrate(progress=report)
        for note in await db_roles.grant_app_role(get_connection("default"), settings):
            progress(note)
    return applied


async def pending(settings: Settings) -> list[str]:
    """Names of migrations on disk not yet applied to the database (needs Tortoise up)."""
    config = tortoise_config(settings)
    # no ensure_schema here: the app role may not create tables (a missing record table
    # reads as "nothing applied")
    executor = MigrationExecutor(get_connection("default"), _apps_config(config))
    steps = await executor.plan()
    return [f"{s.migration.app_label}.{s.migration.name}" for s in steps if not s.backward]


async def ensure_migrated(settings: Settings) -> None:
    client = get_connection("default")
    # the role first: a NOINHERIT member of the owner cannot read the records either
    await db_roles.check_app_role(settings, client)
    await db_roles.check_reads_migrations(settings, client)
    missing = await pending(settings)
    if missing:
        raise NotMigrated(
            f"The database at {_redacted(settings.db_url)} is not migrated "
            f"({len(missing)} pending: {', '.join(missing[:5])}). "
            "Run `loyalty migrate` once (the release step), then start the server."
        )


async def drift(settings: Settings) -> list[str]:
    """Model changes that no migration file covers yet (descriptions of operations)."""
    config = tortoise_config(settings)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config, init_connections=False)
        assert ctx.apps is not None  # set by init
        detector = MigrationAutodetector(ctx.apps, _apps_config(config))
        writers = await detector.changes()
    return [repr(op) for writer in writers for op in writer.operations]


async def make(settings: Settings, name: str | None = None) -> list[str]:
    """Write new migration files for model changes (developer command)."""
    config = tortoise_config(settings)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config, init_connections=False)
        assert ctx.apps is not None  # set by init
        detector = MigrationAutodetector(ctx.apps, _apps_config(config))
        writers = await detector.changes()
        paths = []
        for writer in writers:
            if name:
                writer.name = f"{writer.name.split('_', 1)[0]}_{name}"
            paths.append(str(writer.write()))
    return paths


def _redacted(url: str) -> str:
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


__all__ = ["NotMigrated", "Tortoise", "drift", "ensure_migrated", "make", "migrate", "pending"]
