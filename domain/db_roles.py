"""Database roles on PostgreSQL: the owner migrates, the app role only reads and writes.

``loyalty migrate`` connects as the role that owns the tables (DATABASE_OWNER_URL) and,
after the migrations, grants the role of DATABASE_URL what the API, workers and
scheduler need: SELECT/INSERT/UPDATE/DELETE on the tables, except the append-only ones
(SELECT/INSERT: history is never rewritten, not even by the app's own role) and the
migration record (SELECT). Default privileges give tables and sequences created by later
migrations the same rights; the grants are rewritten on every migrate, so the lists
below are the truth. A role that owns nothing cannot drop or disable the ``audit_log``
trigger either (that needs ownership).

At start-up (``check_app_role``) a process connected as a role that owns a table, is a
member of the owner's role or is a superuser is refused in production and warned about
elsewhere. SQLite is embedded and single-user: its triggers are the only guard.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote, urlsplit

from domain.config import ConfigError, Settings
from domain.db import database_url

log = logging.getLogger("loyalty.db")

# Rows are only ever inserted (checked against every store: none updates or deletes them).
APPEND_ONLY = (
    "audit_log",
    "ledger_entries",
    "card_history",
    "tier_history",
    "consents",
    "birthday_greetings",
    "points_expiry_reminders",
)
READ_ONLY = ("tortoise_migrations",)  # the app checks migrations, never records them


class UnsafeDatabaseRole(ConfigError):
    """The process would run with the rights of the tables' owner."""


def role_of(url: str) -> str:
    return unquote(urlsplit(url).username or "")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_statements(app_role: str, owner_role: str, schema: str = "public") -> list[str]:
    app, owner, sch = _ident(app_role), _ident(owner_role), _ident(schema)
    guarded = ", ".join(_ident(t) for t in APPEND_ONLY)
    read_only = ", ".join(_ident(t) for t in READ_ONLY)
    return [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {app}",
        f"REVOKE CREATE ON SCHEMA {sch} FROM {app}",
        f"GRANT USAGE ON SCHEMA {sch} TO {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} TO {app}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {guarded} FROM {app}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {read_only} FROM {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]


async def grant_app_role(client: Any, settings: Settings) -> str | None:
    """Give the role of DATABASE_URL its rights (run by ``migrate`` as the owner).
    Returns the role granted, or None when there is no separate app role."""
    if client.capabilities.dialect != "postgres" or not settings.database_owner_url:
        return None
    app_role = role_of(settings.db_url)
    _, rows = await client.execute_query("SELECT current_user AS me, current_schema() AS sch")
    owner, schema = rows[0]["me"], rows[0]["sch"]
    if not app_role or app_role == owner:
        return None
    # one simple-protocol message runs as one transaction: no moment without rights
    await client.execute_script(";\n".join(grant_statements(app_role, owner, schema)))
    return app_role


OWNED = """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
  AND pg_has_role(current_user, c.relowner, 'USAGE')
ORDER BY c.relname LIMIT 5"""


async def owned_tables(client: Any) -> list[str]:
    """Tables the connected role could alter or drop: it owns them, inherits the owner's
    role, or is a superuser (PostgreSQL; always empty on SQLite)."""
    if client.capabilities.dialect != "postgres":
        return []
    _, rows = await client.execute_query(OWNED)
    return [r["relname"] for r in rows]


async def check_app_role(settings: Settings, client: Any) -> None:
    """Refuse (production) or warn (elsewhere) when DATABASE_URL's role owns the tables."""
    owned = await owned_tables(client)
    if not owned:
        return
    message = (
        f"the database role {role_of(database_url(settings))!r} owns the tables "
        f"({', '.join(owned)}, ...): it could drop the audit trigger and rewrite history. "
        "Set DATABASE_URL to a role that owns nothing and DATABASE_OWNER_URL to the owner, "
        "then run `loyalty migrate` (it grants the app role its rights)"
    )
    if settings.production:
        raise UnsafeDatabaseRole(message)
    log.warning(message)
