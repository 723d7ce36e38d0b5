"""Database-level guard that keeps ``audit_log`` append-only (used by migration 0002).

PostgreSQL: a trigger refuses UPDATE, DELETE and TRUNCATE for every role, owner and
superuser included (short of disabling triggers, which is itself a DDL change), and
the rights are revoked from PUBLIC. SQLite: triggers that abort UPDATE and DELETE.
"""

from __future__ import annotations

from typing import Any

MESSAGE = "audit_log is append-only"

POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$""",
    """CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC",
]

SQLITE = [
    f"""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]


async def install(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    statements = POSTGRES if dialect == "postgres" else SQLITE
    for sql in statements:
        await client.execute_script(sql)
