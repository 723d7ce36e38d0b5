"""The `loyalty` ops CLI, run as a process against a fresh embedded database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.test_server_process import clean_env

pytestmark = [pytest.mark.e2e, pytest.mark.backend("sqlite")]
LOYALTY = str(Path(sys.executable).parent / "loyalty")


def run(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LOYALTY, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
    )


def test_partner_staff_and_key_commands(tmp_path):
    env = clean_env(VAR_DIR=str(tmp_path), DEMO_DATA="false")
    assert run(env, "migrate").returncode == 0

    made = run(env, "partner-create", "--name", "Shop", "--scopes", "orders:write members:read")
    assert made.returncode == 0, made.stderr
    partner = json.loads(made.stdout)
    assert partner["scopes"] == ["members:read", "orders:write"]
    assert len(partner["clientSecret"]) >= 32 and "shown only now" in made.stderr
    bad = run(env, "partner-create", "--name", "X", "--scopes", "root:all")
    assert bad.returncode == 2 and "Scopes must be among" in bad.stderr

    def staff_create(email: str, role: str) -> subprocess.CompletedProcess:
        with_password = env | {"STAFF_PASSWORD": "a long enough secret"}
        return run(with_password, "staff-create", "--email", email, "--role", role)

    staff = staff_create("Ops@Example.cn", "analyst")
    assert staff.returncode == 0 and "ops@example.cn (analyst)" in staff.stdout
    dup = staff_create("ops@example.cn", "analyst")
    assert dup.returncode == 2 and "already has an account" in dup.stderr
    orphan = staff_create("s@example.cn", "store_staff")
    assert orphan.returncode == 2 and "must be attached to a store" in orphan.stderr

    first = run(env, "key-rotate")
    second = run(env, "key-rotate")
    assert first.returncode == second.returncode == 0
    kid1 = first.stdout.split()[3].rstrip(";")
    kid2 = second.stdout.split()[3].rstrip(";")
    assert kid1 != kid2 and "retired: none" in second.stdout  # old keys live until tokens expire


def test_catalog_import_reports_bad_rows_and_ledger_verify(tmp_path):
    import sqlite3

    env = clean_env(VAR_DIR=str(tmp_path), DEMO_DATA="false")
    assert run(env, "migrate").returncode == 0
    csv_file = tmp_path / "products.csv"
    csv_file.write_text(
        "sku,name,category_path,brand,price_fen,excluded_from_points\n"
        "6901,富士苹果,生鲜/水果/苹果,,899,\n"
        "6902,,生鲜/水果,,100,\n"  # no name
        "6903,香烟,烟酒/香烟,中华,4500,yes\n"
        "6904,牛奶,乳品,,abc,\n"  # not a price
        "6901,重复,生鲜,,1,\n",  # repeated sku
        encoding="utf-8",
    )
    done = run(env, "catalog-import", str(csv_file))
    assert done.returncode == 1, done.stderr  # some rows were rejected
    assert "2 created, 0 updated, 3 rejected" in done.stdout
    assert "row 3 (sku 6902): name" in done.stderr and "row 5 (sku 6904): price_fen" in done.stderr
    assert "row 6 (sku 6901): sku: repeated" in done.stderr and "importing" in done.stderr
    db = sqlite3.connect(tmp_path / "loyalty.sqlite3")
    assert db.execute("SELECT sku, excluded_from_points FROM products ORDER BY sku").fetchall() == [
        ("6901", 0),
        ("6903", 1),
    ]
    json_file = tmp_path / "products.json"
    json_file.write_text(
        json.dumps([{"sku": "6901", "name": "苹果", "category_path": "生鲜", "price_fen": 999}])
    )
    again = run(env, "catalog-import", str(json_file))
    assert again.returncode == 0 and "0 created, 1 updated, 0 rejected" in again.stdout
    missing = run(env, "catalog-import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "Cannot read" in missing.stderr

    ok = run(env, "ledger-verify")
    assert ok.returncode == 0 and "0 with differences" in ok.stdout
    # break one account on purpose: the verifier names it
    db.execute(
        "INSERT INTO members (phone_hash, phone_enc, display_name, gender, status, "
        "registration_channel, registered_by, created_at) "
        "VALUES ('h', 'e', '', 'UNKNOWN', 'ACTIVE', 'APP', '', '2026-01-01')"
    )
    db.execute(
        "INSERT INTO points_accounts (member_id, balance, pending, debt, overdraft_ok, "
        "updated_at) VALUES (1, 5, 0, 0, 0, '2026-01-01')"
    )
    db.commit()
    bad = run(env, "ledger-verify")
    assert bad.returncode == 1 and "member 1: balance 5" in bad.stderr


def test_demo_load_is_refused_in_production(tmp_path):
    from tests.conftest import _key

    env = clean_env(
        APP_ENV="production",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/none",  # refused before connecting
        DATA_KEYS=json.dumps({"p1": _key()}),
        DATA_KEY_ID="p1",
        HMAC_KEY=_key(),
        VAR_DIR=str(tmp_path),
    )
    done = run(env, "demo-load")
    assert done.returncode == 2, done.stderr
    assert "demo data is refused when APP_ENV=production" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "demo-credentials.json").exists()


def test_jobs_run_once_purges_old_message_text(tmp_path):
    import sqlite3

    env = clean_env(VAR_DIR=str(tmp_path), DEMO_DATA="false")
    assert run(env, "migrate").returncode == 0
    db = sqlite3.connect(tmp_path / "loyalty.sqlite3")
    for created in ("2020-01-01 00:00:00+00:00", "2099-01-01 00:00:00+00:00"):
        db.execute(
            "INSERT INTO messages (channel, recipient_enc, template, purpose, status, reason, "
            "adapter, created_at, body_enc, variables_enc) "
            "VALUES ('SMS', 'x', 'tier_up', 'TRANSACTIONAL', 'SENT', '', '', ?, 'b', 'v')",
            [created],
        )
    db.commit()
    listed = run(env, "jobs", "list")
    assert listed.returncode == 0 and "messages-purge" in listed.stdout
    done = run(env, "jobs", "run", "messages-purge")
    assert done.returncode == 0 and "job messages-purge done" in done.stdout, done.stderr
    rows = db.execute("SELECT created_at, body_enc, variables_enc FROM messages ORDER BY id")
    assert [(b, v) for _, b, v in rows] == [("", ""), ("b", "v")]
    unknown = run(env, "jobs", "run", "no-such-job")
    assert unknown.returncode == 2 and "no job named" in unknown.stderr


def test_bad_settings_print_one_line_per_variable_and_no_traceback(tmp_path):
    bad = {"APP_ENV": "Production", "GQL_MAX_ALIASES": "abc"}
    expected = [
        "APP_ENV: must be one of development, production, test (got 'Production')",
        "GQL_MAX_ALIASES: must be a whole number (got 'abc')",
    ]
    for command in (["migrate"], ["serve", "--port", "1"], ["jobs", "list"]):
        done = run(clean_env(VAR_DIR=str(tmp_path), **bad), *command)
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines() == [f"loyalty {command[0]}: {line}" for line in expected]
    not_json = run(clean_env(VAR_DIR=str(tmp_path), DATA_KEYS="notjson"), "migrate")
    assert not_json.returncode == 2 and "Traceback" not in not_json.stderr
    assert not_json.stderr.startswith("loyalty migrate: DATA_KEYS: must be JSON")
    assert "notjson" not in not_json.stderr  # a key's value is never echoed
    uvicorn = subprocess.run(
        [str(Path(sys.executable).parent / "uvicorn"), "server:app", "--port", "1"],
        cwd=ROOT,
        env=clean_env(VAR_DIR=str(tmp_path), **bad),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert uvicorn.returncode == 2 and "Traceback" not in uvicorn.stderr
    assert [f"server:app: {line}" for line in expected] == uvicorn.stderr.splitlines()[-2:]
    assert list(tmp_path.iterdir()) == []  # nothing was created: no database, no keys


def test_jobs_run_at_a_time_has_the_effect_of_that_time_once(tmp_path):
    """`loyalty jobs run points-expire --at T` expires what is due at T, not now; a second
    run for the same time finds nothing more; `jobs list` shows every job's schedule."""
    import sqlite3

    env = clean_env(VAR_DIR=str(tmp_path), DEMO_DATA="false")
    assert run(env, "migrate").returncode == 0
    db = sqlite3.connect(tmp_path / "loyalty.sqlite3")
    expires = "2029-12-31 16:00:00+00:00"  # stored in UTC: 2030-01-01 00:00 in Shanghai
    db.execute(
        "INSERT INTO members (phone_hash, phone_enc, display_name, gender, status, "
        "registration_channel, registered_by, created_at) "
        "VALUES ('h', 'e', '', 'UNKNOWN', 'ACTIVE', 'APP', '', '2026-01-01')"
    )
    db.execute(
        "INSERT INTO points_accounts (member_id, balance, pending, debt, overdraft_ok, "
        "updated_at) VALUES (1, 100, 0, 0, 0, '2026-01-01')"
    )
    db.execute(
        "INSERT INTO ledger_entries (member_id, kind, points, reason, breakdown, actor, "
        "expires_at, created_at) VALUES (1, 'EARN', 100, 'test', '{}', 'system', ?, "
        "'2026-01-01 00:00:00+00:00')",
        [expires],
    )
    db.execute(
        "INSERT INTO points_lots (member_id, entry_id, points, remaining, available_at, "
        "released_at, expires_at, created_at) VALUES (1, 1, 100, 100, "
        "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', ?, "
        "'2026-01-01 00:00:00+00:00')",
        [expires],
    )
    db.commit()

    def state() -> tuple:
        balance = db.execute("SELECT balance FROM points_accounts").fetchone()[0]
        remaining = db.execute("SELECT remaining FROM points_lots").fetchone()[0]
        kinds = db.execute("SELECT kind, points FROM ledger_entries ORDER BY id").fetchall()
        return balance, remaining, kinds

    earned = (100, 100, [("EARN", 100)])
    # a time still to come acts on the live data as if it had come: refused unless asked
    ahead = run(env, "jobs", "run", "points-expire", "--at", "2030-01-01T00:05")
    assert ahead.returncode == 2 and "--at 2030-01-01T00:05 is in the future" in ahead.stderr
    assert "Pass --future" in ahead.stderr and state() == earned
    for at in (None, "2029-12-31T23:59+08:00"):  # now, and the lot's last minute: kept
        when = ["--at", at, "--future"] if at else []
        done = run(env, "jobs", "run", "points-expire", *when)
        assert done.returncode == 0 and "job points-expire done" in done.stdout, done.stderr
        assert state() == earned
    # a missed night re-run: shortly after midnight Shanghai (written without an offset)
    for _ in range(2):
        done = run(env, "jobs", "run", "points-expire", "--at", "2030-01-01T00:05", "--future")
        assert done.returncode == 0, done.stderr
        assert "job points-expire done at 2029-12-31T16:05:00+00:00" in done.stdout
        assert state() == (0, 0, [("EARN", 100), ("EXPIRE", -100)])  # once, not twice
    assert "0 with differences" in run(env, "ledger-verify").stdout

    listed = run(env, "jobs", "list")
    assert listed.returncode == 0, listed.stderr
    extra = run(env, "jobs", "list", "points-expire")
    assert extra.returncode == 2 and "takes no job name" in extra.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert "cron hour=0 minute=5 Asia/Shanghai" in lines["points-expire"]
    assert "every 15 minutes" in lines["points-release"]
    assert "cron month=1 day=8 hour=3" in lines["coupons-rebate"]
    assert "outbox-sweep" in lines and "tier-batch" in lines and "messages-purge" in lines

    bad_time = run(env, "jobs", "run", "points-expire", "--at", "yesterday")
    assert bad_time.returncode == 2 and "Traceback" not in bad_time.stderr
    assert "--at 'yesterday' is not an ISO 8601 time" in bad_time.stderr
    unknown = run(env, "jobs", "run", "points-expyre", "--at", "2030-01-02")
    assert unknown.returncode == 2 and "no job named 'points-expyre'" in unknown.stderr
    assert "points-expire" in unknown.stderr  # the known names are listed
    # embedded (no BROKER_URL): a sweep here would mark events sent to a broker of no one
    sweep = run(env, "jobs", "run", "outbox-sweep")
    assert sweep.returncode == 2 and "outbox-sweep needs BROKER_URL" in sweep.stderr
    assert state() == (0, 0, [("EARN", 100), ("EXPIRE", -100)])
