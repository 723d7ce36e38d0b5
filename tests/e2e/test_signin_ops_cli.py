"""The sign-in ops commands (`loyalty signin-unlock`, `staff-deactivate`,
`partner-deactivate`) as processes: in the embedded default (no REDIS_URL) they cannot
reach the running server's in-memory counters and revocations, and say so."""

from __future__ import annotations

import json
import sqlite3

import pytest

from domain.auth.throttle import AccountKind, account_key
from tests.processes import clean_env, run

pytestmark = [pytest.mark.e2e, pytest.mark.backend("sqlite")]
PASSWORD = {"STAFF_PASSWORD": "a long enough secret"}


def _active(tmp_path, table: str, column: str, value: str) -> int:
    db = sqlite3.connect(tmp_path / "loyalty.sqlite3")
    (active,) = db.execute(f"SELECT active FROM {table} WHERE {column} = ?", (value,)).fetchone()  # noqa: S608
    return active


def test_embedded_default_unlock_refuses_and_deactivation_says_tokens_live_on(tmp_path):
    env = clean_env(VAR_DIR=str(tmp_path), DEMO_DATA="false")
    assert run(env, "migrate").returncode == 0
    for email, role in (("boss@example.cn", "admin"), ("clerk@example.cn", "analyst")):
        made = run(env | PASSWORD, "staff-create", "--email", email, "--role", role)
        assert made.returncode == 0, made.stderr
    partner = json.loads(
        run(env, "partner-create", "--name", "P", "--scopes", "orders:write").stdout
    )

    unlock = run(env, "signin-unlock", "clerk@example.cn")
    assert unlock.returncode == 1
    assert "was not locked" not in unlock.stdout and "lockout lifted" not in unlock.stdout
    assert "REDIS_URL is empty" in unlock.stderr and "signInUnlock mutation" in unlock.stderr
    assert "nothing was unlocked" in unlock.stderr

    done = run(env, "staff-deactivate", "clerk@example.cn")
    assert done.returncode == 0, done.stderr
    assert "deactivated" in done.stdout and "until they expire (up to 600s)" in done.stdout
    assert "staffDeactivate mutation" in done.stderr and "ACCESS_TOKEN_TTL_S=600s" in done.stderr
    assert _active(tmp_path, "staff", "email", "clerk@example.cn") == 0

    gone = run(env, "partner-deactivate", partner["clientId"])
    assert gone.returncode == 0, gone.stderr
    assert "until they expire (up to 3600s)" in gone.stdout
    assert "PARTNER_TOKEN_TTL_S=3600s" in gone.stderr
    assert _active(tmp_path, "partner_apps", "client_id", partner["clientId"]) == 0

    last = run(env, "staff-deactivate", "boss@example.cn")
    assert last.returncode == 2 and "last active admin" in last.stderr
    assert _active(tmp_path, "staff", "email", "boss@example.cn") == 1


@pytest.mark.backend("postgres")  # the pass with the services (a missing one fails in CI)
def test_with_redis_unlock_lifts_the_lock_the_servers_share(tmp_path):
    import redis

    from tests.conftest import REDIS_URL as url
    from tests.conftest import require_services

    require_services()
    r = redis.Redis.from_url(url)
    env = clean_env(VAR_DIR=str(tmp_path), DEMO_DATA="false", REDIS_URL=url)
    assert run(env, "migrate").returncode == 0
    lock = f"signin:lock:{account_key(AccountKind.STAFF, 'locked@example.cn')}"
    r.set(lock, 1, ex=600)
    try:
        lifted = run(env, "signin-unlock", "Locked@Example.cn")
        assert lifted.returncode == 0, lifted.stderr
        assert "lockout lifted" in lifted.stdout and not r.exists(lock)
        again = run(env, "signin-unlock", "locked@example.cn")
        assert again.returncode == 0 and "was not locked" in again.stdout
    finally:
        r.delete(lock)
