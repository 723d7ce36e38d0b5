"""The app's database role owns nothing: history tables take inserts only, the audit
trigger stays, and production refuses to serve as the owner (PostgreSQL pass; the whole
pass runs as that role, with migrations run as the owner)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tortoise.connection import get_connection

from domain.db_roles import APPEND_ONLY, role_of
from tests.api.test_members import new_phone, register
from tests.conftest import ROOT, settings_env, sign_in_staff

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
    before = {t: await _count(t) for t in APPEND_ONLY}
    assert before["audit_log"] > 0
    for table in APPEND_ONLY:
        for sql in (
            f'UPDATE "{table}" SET id = id',  # noqa: S608
            f'DELETE FROM "{table}"',  # noqa: S608
            f'TRUNCATE "{table}"',
        ):
            with pytest.raises(Exception, match="permission denied"):
                await conn.execute_script(sql)
    assert {t: await _count(t) for t in APPEND_ONLY} == before


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
