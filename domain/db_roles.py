"""Database roles on PostgreSQL: the owner migrates, the app role only reads and writes.

``loyalty migrate`` connects as the role that owns the tables (DATABASE_OWNER_URL) and,
after the migrations, grants the role of DATABASE_URL what the API, workers and
scheduler need: SELECT/INSERT/UPDATE/DELETE on the tables, except the append-only ones
(SELECT/INSERT: history is never rewritten, not even by the app's own role) and the
migration record (SELECT). A model is append-only when its ``Meta`` says
``append_only = True`` (``append_only_tables`` reads the markers; a test fails when a
table named like a history, log or ledger lacks one). Default privileges give tables and
sequences created by later migrations the same rights; the grants are rewritten on every
migrate. Where the owner owns the schema, migrate also revokes CREATE on it from PUBLIC
(PostgreSQL 14 and older grant it to everyone) and says so when it could not.
A role that owns nothing cannot drop or disable the ``audit_log`` trigger either.

At start-up (``check_app_role``) a process connected as a role that owns a table, is a
MEMBER of the owner's role (even NOINHERIT: it could ``SET ROLE`` to it), or is or can
become a superuser or a CREATEROLE role is refused in production and warned about
elsewhere; a role that cannot read the migration records gets that said, not "pending".
SQLite is embedded and single-user: its triggers are the only guard.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any
from urllib.parse import unquote, urlsplit

from domain.config import ConfigError, Settings
from domain.db import MODEL_MODULES, database_url

log = logging.getLogger("loyalty.db")

READ_ONLY = ("tortoise_migrations",)  # the app checks migrations, never records them


def model_tables() -> dict[str, bool]:
    """Every model's table and whether its ``Meta`` declares ``append_only = True``."""
    from tortoise.models import Model

    tables: dict[str, bool] = {}
    for name in MODEL_MODULES:
        for obj in vars(importlib.import_module(name)).values():
            if isinstance(obj, type) and issubclass(obj, Model) and obj.__module__ == name:
                if not obj._meta.abstract:
                    tables[obj._meta.db_table] = bool(getattr(obj.Meta, "append_only", False))
    return tables


def append_only_tables() -> tuple[str, ...]:
    """Tables whose rows are only ever inserted: the app role may not update or delete."""
    return tuple(sorted(t for t, marked in model_tables().items() if marked))


class UnsafeDatabaseRole(ConfigError):
    """The process would run with the rights of the tables' owner."""


class MissingRights(ConfigError):
    """The app role lacks the rights that ``loyalty migrate`` grants."""


def role_of(url: str) -> str:
    return unquote(urlsplit(url).username or "")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_statements(app_role: str, owner_role: str, schema: str = "public") -> list[str]:
    app, owner, sch = _ident(app_role), _ident(owner_role), _ident(schema)
    guarded = ", ".join(_ident(t) for t in append_only_tables())
    read_only = ", ".join(_ident(t) for t in READ_ONLY)
    return [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {app}",
        f"REVOKE CREATE ON SCHEMA {sch} FROM {app}",
        f"GRANT USAGE ON SCHEMA {sch} TO {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} TO {app}",
        *([f"REVOKE UPDATE, DELETE, TRUNCATE ON {guarded} FROM {app}"] if guarded else []),
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {read_only} FROM {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]


async def grant_app_role(client: Any, settings: Settings) -> list[str]:
    """Give the role of DATABASE_URL its rights (run by ``migrate`` as the owner).
    Returns what was done and what the operator still has to do (empty without a
    separate app role)."""
    if client.capabilities.dialect != "postgres" or not settings.database_owner_url:
        return []
    app_role = role_of(settings.db_url)
    _, rows = await client.execute_query(
        "SELECT current_user AS me, n.nspname AS sch, "
        "pg_has_role(current_user, n.nspowner, 'USAGE') AS owns_schema "
        "FROM pg_namespace n WHERE n.nspname = current_schema()"
    )
    owner, schema, owns_schema = rows[0]["me"], rows[0]["sch"], rows[0]["owns_schema"]
    if not app_role or app_role == owner:
        return []
    statements = grant_statements(app_role, owner, schema)
    if owns_schema:  # PostgreSQL <= 14 lets every role create tables in public
        statements.append(f"REVOKE CREATE ON SCHEMA {_ident(schema)} FROM PUBLIC")
    # one simple-protocol message runs as one transaction: no moment without rights
    await client.execute_script(";\n".join(statements))
    done = [f"granted the app role {app_role} its rights"]
    _, rows = await client.execute_query(
        "SELECT has_schema_privilege($1, $2, 'CREATE') AS can", [app_role, schema]
    )
    if rows[0]["can"]:
        done.append(
            f"WARNING: the app role {app_role} can still create tables in schema {schema} "
            f"(granted to PUBLIC or to it): run `REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC` "
            "as the schema's owner"
        )
    return done


# pg_has_role(..., 'MEMBER') holds for NOINHERIT members too: they can SET ROLE to it
OWNED = """SELECT c.relname AS name FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
  AND pg_has_role(current_user, c.relowner, 'MEMBER')
ORDER BY c.relname LIMIT 5"""
# a role creator (PostgreSQL <= 15) can grant itself the owner's role
POWERFUL = """SELECT r.rolname AS name FROM pg_roles r
WHERE (r.rolsuper OR r.rolcreaterole) AND pg_has_role(current_user, r.oid, 'MEMBER')
ORDER BY r.rolname LIMIT 5"""


async def _names(client: Any, sql: str) -> list[str]:
    _, rows = await client.execute_query(sql)
    return [r["name"] for r in rows]


async def unsafe_rights(client: Any) -> str | None:
    """Why the connected role could alter or drop the tables, or None (PostgreSQL;
    always None on SQLite)."""
    if client.capabilities.dialect != "postgres":
        return None
    powerful = await _names(client, POWERFUL)
    if powerful:
        return f"is or can become ({', '.join(powerful)}) a superuser or a CREATEROLE role"
    owned = await _names(client, OWNED)
    if owned:
        return (
            f"owns the tables or is a member of their owner's role ({', '.join(owned)}, ...): "
            "even a NOINHERIT member can SET ROLE to the owner"
        )
    return None


async def check_app_role(settings: Settings, client: Any) -> None:
    """Refuse (production) or warn (elsewhere) when DATABASE_URL's role could act as
    the tables' owner."""
    why = await unsafe_rights(client)
    if not why:
        return
    message = (
        f"the database role {role_of(database_url(settings))!r} {why}: it could drop the "
        "audit trigger and rewrite history. Set DATABASE_URL to a role that owns nothing "
        "and is a member of no owner, superuser or CREATEROLE role, and DATABASE_OWNER_URL "
        "to the owner, then run `loyalty migrate` (it grants the app role its rights)"
    )
    if settings.production:
        raise UnsafeDatabaseRole(message)
    log.warning(message)


READABLE = """SELECT has_table_privilege(c.oid, 'SELECT') AS readable FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname = 'tortoise_migrations'"""


async def check_reads_migrations(settings: Settings, client: Any) -> None:
    """A role without SELECT on the migration records would see "nothing applied" (the
    catalog hides tables it has no rights on): say what is wrong instead."""
    if client.capabilities.dialect != "postgres":
        return
    _, rows = await client.execute_query(READABLE)
    if rows and not rows[0]["readable"]:
        raise MissingRights(
            f"the database role {role_of(database_url(settings))!r} cannot read the "
            "migration records (tortoise_migrations): run `loyalty migrate` (as the owner, "
            "DATABASE_OWNER_URL) to grant it its rights"
        )
