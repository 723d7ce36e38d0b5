"""The app's database role owns nothing: history tables take inserts only, the audit
trigger stays, and production refuses to serve as the owner (PostgreSQL pass; the whole
pass runs as that role, with migrations run as the owner)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys

import asyncpg
import pytest
from tortoise.connection import get_connection

from domain.db_roles import append_only_tables, model_tables, role_of
from tests.conftest import ROOT, settings_env, sign_in_staff
from tests.factories import new_phone, register
from tests.pg import PG_APP, PG_OWNER, admin_sql, pg_url

pytestmark = pytest.mark.backend("postgres")


async def _count(table: str) -> int:
    _, rows = await get_connection("default").execute_query(f'SELECT count(*) AS n FROM "{table}"')  # noqa: S608
    return rows[0]["n"]


async def test_the_app_role_cannot_rewrite_history(gql, settings):
    admin = await sign_in_staff(gql, "admin@test.cn")
    assert (await register(admin, new_phone()))["__typename"] == "MemberRegisterSuccess"
    conn = get_connection("default")
    _, me = await conn.execute_query("SELECT current_user AS me")
    assert me[0]["me"] == role_of(settings.database_url) != role_of(settings.database_owner_url)
    before = {t: await _count(t) for t in append_only_tables()}
    assert before["audit_log"] > 0
    for table in append_only_tables():
        for sql in (
            f'UPDATE "{table}" SET id = id',  # noqa: S608
            f'DELETE FROM "{table}"',  # noqa: S608
            f'TRUNCATE "{table}"',
        ):
            with pytest.raises(Exception, match="permission denied"):
                await conn.execute_script(sql)
    assert {t: await _count(t) for t in append_only_tables()} == before


async def test_the_app_role_cannot_drop_or_disable_the_audit_trigger(settings, app):
    conn = get_connection("default")
    for sql in (
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
        "DROP TRIGGER audit_log_no_change ON audit_log",
        "ALTER TABLE ledger_entries OWNER TO CURRENT_USER",
        "DROP TABLE ledger_entries",
        "CREATE TABLE scratch (x int)",
        "INSERT INTO tortoise_migrations (app, name, applied_at) VALUES ('loyalty', 'x', now())",
    ):
        with pytest.raises(Exception, match=r"must be owner|permission denied"):
            await conn.execute_script(sql)
    _, rows = await conn.execute_query(
        "SELECT tgname, tgenabled::text AS tgenabled FROM pg_trigger "
        "WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal ORDER BY tgname"
    )
    assert [(r["tgname"], r["tgenabled"]) for r in rows] == [
        ("audit_log_no_change", "O"),
        ("audit_log_no_truncate", "O"),
    ]


def test_production_refuses_to_serve_as_the_owner_of_the_tables(settings):
    env = settings_env(settings) | {
        "APP_ENV": "production",
        "TEST_PHONE_NUMBERS": "{}",
        "DATABASE_URL": settings.database_owner_url,
    }
    for command in (["serve", "--port", "1"], ["worker"], ["scheduler"]):
        done = subprocess.run(
            [sys.executable, "-m", "server", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, (command, done.stderr)
        assert "owns the tables" in done.stderr and "DATABASE_OWNER_URL" in done.stderr


def test_history_log_and_ledger_tables_are_declared_append_only():
    tables = model_tables()
    named = sorted(t for t in tables if re.search(r"history|log|ledger", t))
    assert named == ["audit_log", "card_history", "ledger_entries", "tier_history"]
    undeclared = [t for t in named if not tables[t]]
    assert undeclared == [], "declare `append_only = True` in the model's Meta"
    declared = {t for t, marked in tables.items() if marked}
    assert set(append_only_tables()) == declared
    assert {"consents", "birthday_greetings", "points_expiry_reminders"} <= declared


async def _loyalty(env: dict, *args: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _start(env: dict, role: str, command: str = "serve") -> subprocess.CompletedProcess:
    args = ["serve", "--port", "1"] if command == "serve" else [command]
    return await _loyalty(env | {"DATABASE_URL": pg_url(role, _database(env))}, *args)


def _database(env: dict) -> str:
    return env["DATABASE_URL"].rsplit("/", 1)[1]


async def test_production_refuses_any_member_of_the_owner_or_a_superuser(settings):
    suffix = os.getpid()
    member, su, su_member, creator = (
        f"noinherit_owner_{suffix}",
        f"super_{suffix}",
        f"noinherit_super_{suffix}",
        f"creator_{suffix}",
    )
    roles = (member, su_member, creator, su)
    await admin_sql(*(f'DROP ROLE IF EXISTS "{r}"' for r in roles))
    try:
        await admin_sql(
            f'CREATE ROLE "{member}" LOGIN NOINHERIT',
            f'GRANT "{PG_OWNER}", "{PG_APP}" TO "{member}"',
            f'CREATE ROLE "{su}" NOLOGIN SUPERUSER',
            f'CREATE ROLE "{su_member}" LOGIN NOINHERIT',
            f'GRANT "{su}" TO "{su_member}"',
            f'CREATE ROLE "{creator}" LOGIN CREATEROLE',
        )
        # the hole: a NOINHERIT member holds none of the owner's rights until it SETs ROLE
        conn = await asyncpg.connect(pg_url(member, _database(settings_env(settings))))
        try:
            await conn.execute(f'SET ROLE "{PG_OWNER}"')
            assert await conn.fetchval("SELECT current_user") == PG_OWNER
        finally:
            await conn.close()
        env = settings_env(settings) | {"APP_ENV": "production", "TEST_PHONE_NUMBERS": "{}"}
        for role, why in (
            (member, "a member of their owner's role"),
            (su_member, f"can become ({su}) a superuser"),
            (creator, f"can become ({creator}) a superuser or a CREATEROLE role"),
        ):
            done = await _start(env, role)
            assert done.returncode == 2, (role, done.stderr)
            assert why in done.stderr and "DATABASE_OWNER_URL" in done.stderr, done.stderr
            assert "Traceback" not in done.stderr
    finally:
        await admin_sql(*(f'DROP ROLE IF EXISTS "{r}"' for r in roles))


async def test_a_role_that_cannot_read_the_migration_records_is_told_so(settings):
    role = f"noinherit_app_{os.getpid()}"
    await admin_sql(f'DROP ROLE IF EXISTS "{role}"')
    try:
        await admin_sql(f'CREATE ROLE "{role}" LOGIN NOINHERIT', f'GRANT "{PG_APP}" TO "{role}"')
        for command in ("serve", "worker"):
            done = await _start(
                settings_env(settings) | {"BROKER_URL": settings.broker_url}, role, command
            )
            assert done.returncode == 2, done.stderr
            assert f"the database role '{role}' cannot read the migration records" in done.stderr
            assert "run `loyalty migrate` (as the owner" in done.stderr
            assert "pending" not in done.stderr
    finally:
        await admin_sql(f'DROP ROLE IF EXISTS "{role}"')


async def test_migrate_revokes_create_on_the_schema_from_public(settings, app):
    """PostgreSQL 14 and older let every role create tables in schema public."""
    owner = await asyncpg.connect(
        settings.database_owner_url.replace("postgres://", "postgresql://")
    )
    try:
        await owner.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")  # the PostgreSQL 14 default
        env = settings_env(settings) | {"DATABASE_OWNER_URL": settings.database_owner_url}
        done = await _loyalty(env, "migrate")
        assert done.returncode == 0, done.stderr
        assert f"granted the app role {PG_APP} its rights" in done.stdout
        assert "WARNING" not in done.stdout
        conn = get_connection("default")
        with pytest.raises(Exception, match="permission denied"):
            await conn.execute_script("CREATE TABLE scratch_public (x int)")
        _, rows = await conn.execute_query(
            "SELECT count(*) AS n FROM pg_class WHERE relname = 'scratch_public'"
        )
        assert rows[0]["n"] == 0
    finally:
        await owner.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        await owner.close()
