"""Plain SQL on either backend, for the set-based batches and the hottest reads.

Statements name their parameters ``:name``; ``bind`` turns them into the driver's
style ($n for asyncpg, ? for SQLite). ``select`` runs one on the current connection
(the transaction's, inside one) without building it through the ORM — on the member
home path that building cost more than the round trip — and returns dict rows with
Python values on both backends: SQLite hands timestamps back as text, parsed here for
the columns named in ``times``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from tortoise import connections

_PARAM = re.compile(r"(?<!:):([a-z_]+)")


def bind(sql: str, params: dict[str, Any], dialect: str) -> tuple[str, list[Any]]:
    """``:name`` parameters to the driver's style ($n for asyncpg, ? for SQLite); a list
    or tuple value becomes one parameter per item (for ``IN (:ids)``; empty: NULL)."""
    args: list[Any] = []
    seen: dict[str, str] = {}

    def one(value: Any) -> str:
        args.append(value)
        return f"${len(args)}" if dialect == "postgres" else "?"

    def repl(m: re.Match) -> str:
        name = m.group(1)
        if dialect == "postgres" and name in seen:
            return seen[name]
        value = params[name]
        if isinstance(value, list | tuple):
            text = ", ".join(one(v) for v in value) or "NULL"
        else:
            text = one(value)
        seen[name] = text
        return text

    return _PARAM.sub(repl, sql), args


def connection() -> Any:
    """The current connection (the transaction's, inside one), for a batch that runs
    several statements of its own."""
    return connections.get("default")


async def select(
    sql: str, params: dict[str, Any] | None = None, *, times: Iterable[str] = ()
) -> list[dict[str, Any]]:
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    text, args = bind(sql, params or {}, dialect)
    rows = await conn.execute_query_dict(text, args)
    if dialect == "sqlite":
        rows = [dict(r) for r in rows]
        for row in rows:
            for k in times:
                if isinstance(row[k], str):
                    row[k] = _timestamp(row[k])
    return rows


async def execute(sql: str, params: dict[str, Any] | None = None) -> int:
    """Run one UPDATE or DELETE; how many rows it changed."""
    conn = connections.get("default")
    text, args = bind(sql, params or {}, conn.capabilities.dialect)
    changed, _rows = await conn.execute_query(text, args)
    return changed


def _timestamp(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
