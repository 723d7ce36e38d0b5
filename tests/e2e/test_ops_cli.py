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
