"""CHECK constraints that Tortoise's CreateModel does not emit, installed by migrations.

PostgreSQL gets real ``ALTER TABLE ... ADD CONSTRAINT ... CHECK``; SQLite cannot add
a constraint to an existing table, so it gets the same rule as BEFORE INSERT/UPDATE
triggers that abort with the constraint's name. Models list the same constraints in
``Meta.constraints`` so the migration state matches the models.
"""

from __future__ import annotations

import re
from typing import Any

Check = tuple[str, str, str]  # (table, constraint name, SQL boolean expression)


async def add_checks(schema_editor: Any, checks: list[Check]) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for table, name, expr in checks:
        if postgres:
            await client.execute_script(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" CHECK ({expr})'
            )
            continue
        for event in ("INSERT", "UPDATE"):
            await client.execute_script(
                f'CREATE TRIGGER "{name}_{event.lower()}" BEFORE {event} ON "{table}" '
                f"WHEN NOT ({_new(expr)}) "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
            )


def _new(expr: str) -> str:
    """Qualify the bare column names of ``expr`` with NEW. (for a SQLite trigger)."""
    keywords = {"OR", "AND", "NOT", "IS", "NULL", "TRUE", "FALSE"}
    return re.sub(
        r"\b([a-z_][a-z0-9_]*)\b",
        lambda m: m.group(1) if m.group(1).upper() in keywords else f"NEW.{m.group(1)}",
        expr,
    )
