"""`loyalty demo-load` puts every demo member on the tier their spend reaches, by the
nightly batch's rules, without waiting for the first 02:30 run."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from domain.tiers.model import Rung, qualifying
from tests.processes import clean_env, run

pytestmark = [pytest.mark.e2e, pytest.mark.backend("sqlite")]


def test_demo_members_start_on_the_tier_their_spend_reaches(tmp_path):
    env = clean_env(VAR_DIR=str(tmp_path), DEMO_DATA="false")
    assert run(env, "migrate").returncode == 0
    done = run(env, "demo-load", "--members", "60", "--orders", "900")
    assert done.returncode == 0, done.stderr
    assert "tiers:" in done.stdout
    db = sqlite3.connect(tmp_path / "loyalty.sqlite3")
    ladder = [
        Rung(*row) for row in db.execute("SELECT id, code, name, rank, threshold_fen FROM tiers")
    ]
    since = (datetime.now(UTC) - timedelta(days=365)).isoformat(sep=" ")
    rows = db.execute(
        "SELECT m.id, t.code, (SELECT COALESCE(SUM(o.total_paid_fen - o.refunded_fen), 0) "
        "FROM orders o WHERE o.member_id = m.id AND o.paid_at > ?), "
        "(SELECT COUNT(*) FROM tier_states s WHERE s.member_id = m.id) "
        "FROM members m JOIN tiers t ON t.id = m.tier_id",
        [since],
    ).fetchall()
    assert len(rows) == 60  # every member on a tier
    assert [(pk, code) for pk, code, _, _ in rows] == [
        (pk, qualifying(ladder, spend).code) for pk, _, spend, _ in rows
    ]
    above = [pk for pk, code, _, _ in rows if code != "REGULAR"]
    assert above  # the demo chain has members above the base rung...
    assert all(states == 1 for pk, code, _, states in rows if code != "REGULAR")  # ...reviewed
    history = db.execute("SELECT member_id, reason FROM tier_history").fetchall()
    assert sorted(history) == sorted((pk, "UPGRADE") for pk in above)
    assert db.execute(
        "SELECT COUNT(*) FROM outbox_events WHERE topic = 'tier.changed'"
    ).fetchone() == (0,)
