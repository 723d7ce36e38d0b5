"""`loyalty recs-rules`, `recs-evaluate` and `recs-export` as processes: rules against
direct counting on the public groceries log, the five methods' figures, one-line errors,
and on the demo chain (planted rhythms and complements) the production blend at least
1.5x popularity's hit-rate@10."""

from __future__ import annotations

import csv
import json
from collections import defaultdict

import pytest

from tests.conftest import ROOT
from tests.processes import clean_env, run

pytestmark = [pytest.mark.e2e, pytest.mark.backend("sqlite")]

GROCERIES = ROOT / "tests" / "data" / "groceries-members.csv"
COLS = ["--member-col", "member_number", "--date-col", "date", "--item-col", "item"]


def run_here(capsys, *argv: str) -> tuple[int, str, str]:
    """The command in this process: the error cases read no database and start nothing,
    and a process each (~5 s of imports) is what made this module slow."""
    from domain.cli import run as cli

    code = cli(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _baskets() -> list[set[str]]:
    baskets: dict[tuple[str, str], set[str]] = defaultdict(set)
    with GROCERIES.open(newline="") as f:
        for row in csv.DictReader(f):
            baskets[(row["member_number"], row["date"])].add(row["item"])
    return list(baskets.values())


def test_rules_match_direct_counting_on_groceries(tmp_path):
    env = clean_env(VAR_DIR=str(tmp_path), DEMO_DATA="false")
    done = run(
        env, "recs-rules", str(GROCERIES), *COLS,
        "--min-support", "0.002", "--min-confidence", "0.1", "--top", "100000", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rules = json.loads(done.stdout)
    baskets = _baskets()
    n = len(baskets)
    assert n == 14963
    count: dict[str, int] = defaultdict(int)
    for b in baskets:
        for item in b:
            count[item] += 1
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for b in baskets:
        for a in b:
            for c in b:
                if a != c:
                    pairs[(a, c)] += 1
    expected = {
        (a, c) for (a, c), both in pairs.items() if both / n >= 0.002 and both / count[a] >= 0.1
    }
    assert {(r["antecedent"], r["consequent"]) for r in rules} == expected
    assert len(expected) > 50
    for r in rules:
        both = pairs[(r["antecedent"], r["consequent"])]
        assert r["baskets"] == both
        assert r["support"] == pytest.approx(both / n)
        assert r["confidence"] == pytest.approx(both / count[r["antecedent"]])
        assert r["lift"] == pytest.approx(r["confidence"] / (count[r["consequent"]] / n))
    lifts = [r["lift"] for r in rules]
    assert lifts == sorted(lifts, reverse=True)

    top = run(env, "recs-rules", str(GROCERIES), *COLS, "--min-support", "0.002",
              "--min-confidence", "0.1", "--top", "3")  # fmt: skip
    assert top.returncode == 0 and len(top.stdout.splitlines()) == 4  # header + 3 rules
    assert f"{rules[0]['antecedent']} -> {rules[0]['consequent']}" in top.stdout


def test_evaluate_prints_the_five_methods_on_groceries(tmp_path):
    env = clean_env(VAR_DIR=str(tmp_path), DEMO_DATA="false")
    done = run(env, "recs-evaluate", str(GROCERIES), *COLS, "--k", "10", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    days: dict[str, set[str]] = defaultdict(set)
    with GROCERIES.open(newline="") as f:
        for row in csv.DictReader(f):
            days[row["member_number"]].add(row["date"])
    assert report["rows"] == 38765 and report["members"] == 3898 and report["items"] == 167
    assert report["baskets"] == 14963
    assert report["test_members"] == sum(1 for d in days.values() if len(d) >= 2)
    assert list(report["methods"]) == [
        "popularity", "personal_frequency", "rules", "item_neighbours", "blend",
    ]  # fmt: skip
    for figures in report["methods"].values():
        assert set(figures) == {"hit_rate", "recall", "ndcg", "coverage"}
        assert all(0 <= v <= 1 for v in figures.values())
        assert figures["hit_rate"] > 0.3  # every list is filled up to k
    assert report["peak_rss_mb"] > 0 and report["seconds"]["score"] > 0

    text = run(env, "recs-evaluate", str(GROCERIES), *COLS, "--k", "5")
    assert text.returncode == 0, text.stderr
    assert "hit@5" in text.stdout and "blend" in text.stdout
    assert "peak memory" in text.stderr


@pytest.mark.parametrize(
    ("content", "cols", "message"),
    [
        (None, COLS, "no such file"),
        ("member_number,date,item\n1,2024-01-01,milk\n", ["--member-col", "member", *COLS[2:]],
         "no column 'member' (columns: member_number, date, item)"),
        ("member_number,date,item\n1,2024-01-01,milk\n2,2024-02-30,bread\n", COLS,
         "line 3: '2024-02-30' is not a date"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, content, cols, message):
    path = tmp_path / "log.csv"
    if content is not None:
        path.write_text(content)
    for command in ("recs-evaluate", "recs-rules"):
        extra = (
            ["--min-support", "0.1", "--min-confidence", "0.1"] if command == "recs-rules" else []
        )
        code, out, err = run_here(capsys, command, str(path), *cols, *extra)
        assert code == 2
        assert err.strip().splitlines() == [f"loyalty {command}: {path}: {message}"]
        assert out == ""


def test_on_the_demo_chain_the_blend_beats_popularity_by_half(tmp_path):
    env = clean_env(VAR_DIR=str(tmp_path), DEMO_DATA="false")
    assert run(env, "migrate").returncode == 0
    loaded = run(env, "demo-load", "--members", "120", "--orders", "2400")
    assert loaded.returncode == 0, loaded.stderr
    out = tmp_path / "orders.csv"
    exported = run(env, "recs-export", str(out))
    assert exported.returncode == 0, exported.stderr
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and set(rows[0]) == {"member", "date", "item", "name"}
    assert f"{len(rows)} lines written" in exported.stdout
    done = run(
        env, "recs-evaluate", str(out), "--member-col", "member", "--date-col", "date",
        "--item-col", "item", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    methods = json.loads(done.stdout)["methods"]
    assert methods["blend"]["hit_rate"] >= 1.5 * methods["popularity"]["hit_rate"], methods


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("member_number,date,item\n", "no purchase lines after the header"),
        ("member_number,date,item\n1,2024-01-01,milk\n1,2024-01-01,jam\n2,2024-01-02,bread\n",
         "no member has two baskets"),
    ],
)  # fmt: skip
def test_evaluate_says_why_a_log_cannot_be_evaluated(tmp_path, capsys, content, message):
    """A log too small to hold a basket out is one line and exit 2 (it was a traceback);
    recs-rules still answers for it (no rules is an answer)."""
    path = tmp_path / "log.csv"
    path.write_text(content)
    code, out, err = run_here(capsys, "recs-evaluate", str(path), *COLS)
    assert code == 2 and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith(f"loyalty recs-evaluate: {path}: {message}")
    args = ["--min-support", "0.1", "--min-confidence", "0.1"]
    code, _out, err = run_here(capsys, "recs-rules", str(path), *COLS, *args)
    assert code == 0, err


def test_export_leaves_out_members_who_opted_out_and_is_audited(tmp_path):
    """recs-export streams the orders store's feed reads: a member who turned
    personalisation off is not in the file (their history is not for training); every
    export leaves an audit entry (recs.export, the rows written, run from the CLI)."""
    import sqlite3

    env = clean_env(VAR_DIR=str(tmp_path), DEMO_DATA="false")
    assert run(env, "migrate").returncode == 0
    loaded = run(env, "demo-load", "--members", "20", "--orders", "300")
    assert loaded.returncode == 0, loaded.stderr

    def export(name: str) -> list[dict]:
        out = tmp_path / name
        done = run(env, "recs-export", str(out))
        assert done.returncode == 0, done.stderr
        with out.open(newline="") as f:
            rows = list(csv.DictReader(f))
        assert f"{len(rows)} lines written" in done.stdout
        return rows

    everyone = export("all.csv")
    counts: dict[str, int] = defaultdict(int)
    for r in everyone:
        counts[r["member"]] += 1
    opted_out = max(counts, key=lambda m: counts[m])
    db = sqlite3.connect(tmp_path / "loyalty.sqlite3")
    with db:
        db.execute(
            "INSERT INTO feed_preferences (member_id, personalised, updated_at) "
            "VALUES (?, 0, '2026-01-01 00:00:00+00:00')",
            (int(opted_out),),
        )
    rest = export("rest.csv")
    assert opted_out not in {r["member"] for r in rest}
    assert len(rest) == len(everyone) - counts[opted_out]
    audits = db.execute(
        "SELECT actor, target_type, detail FROM audit_log WHERE action = 'recs.export' ORDER BY id"
    ).fetchall()
    assert [json.loads(d)["rows"] for _a, _t, d in audits] == [len(everyone), len(rest)]
    assert all(json.loads(d)["via"] == "cli" for _a, _t, d in audits)
