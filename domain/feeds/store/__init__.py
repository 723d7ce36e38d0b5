"""The feeds area's store, one module per user of it: ``build`` (the nightly rebuild and
the order-time refresh write the read model), ``serve`` (the feed reads it) and
``signals`` (the member's dismissals, mutes, preference, events). Only these modules
import ``domain.feeds.tables``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise import connections
from tortoise.expressions import F, Q

__all__ = ["F", "Q", "copy_rows", "dialect", "execute", "execute_many"]


# --- plain SQL on the current connection (the transaction's, inside one), for the
# bulk paths of the store's modules ---------------------------------------------------------


def dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


async def execute(sql: str, args: Sequence[Any] = ()) -> list[tuple]:
    """One statement with the driver's placeholders ($n / ?); its rows (also those of an
    UPDATE ... RETURNING: ``execute_query`` drops them on asyncpg)."""
    rows = await connections.get("default").execute_query_dict(sql, list(args))
    return [tuple(dict(r).values()) for r in rows]


async def execute_many(sql: str, rows: list[list[Any]]) -> None:
    await connections.get("default").execute_many(sql, rows)


async def copy_rows(table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """``COPY`` rows into a table (PostgreSQL only)."""
    async with connections.get("default").acquire_connection() as raw:
        await raw.copy_records_to_table(table, records=rows, columns=list(columns))
