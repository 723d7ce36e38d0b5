"""Member home — the query the app sends on every open — against its raw baseline.

    .venv/bin/python -m bench.home                      # 100,000 members, 2,000,000 ledger rows
    .venv/bin/python -m bench.home --members 1000000 --ledger-rows 20000000
    .venv/bin/python -m bench.home --reuse              # the data set of the last run

Builds ``loyalty_bench_home`` on PostgreSQL 127.0.0.1 (members with one order, a card,
points entries and lots, some expiring within 30 days, three active coupons each), then
starts, side by side, the API (``loyalty serve --workers 2``) and the raw baseline
(``bench/raw_home.py``: Starlette + asyncpg running the same SQL, same JSON, same token
check, two workers). ``bench/load.py`` drives each in its own process for ``--duration``
seconds, alternating which goes first, ``--repeat`` times. Reports medians of req/s,
p50, p99 and server CPU-ms per request (utime + stime of the server's process tree over
the run, divided by requests), the ratios, and appends them to
``bench/results/home.jsonl``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from bench import population
from bench.population import url

DB = "loyalty_bench_home"
ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "home.jsonl"
BIN = Path(sys.executable).parent
TOKENS = 2_000  # distinct members the load cycles through
HOME = """query Home { me { displayName
  card { number status scanCode { code expiresAt } }
  tier { code name }
  tierProgress { current { code } next { code name } qualifyingSpendFen spendToNextFen
                 spendToKeepFen reviewAt }
  points { balance pending expiring(days: 30) { points at } }
  coupons(status: ACTIVE, first: 10) { edges { node { code name description validUntil } } }
} }"""

EXTRA = [
    # one card each
    """INSERT INTO cards (number, status, issued_at, status_changed_at, member_id)
       SELECT '8' || lpad(id::text, 15, '0'), 'ACTIVE', now(), now(), id FROM members""",
    # {per} EARN entries of 100 points per member, every other one expiring in 20 days
    """INSERT INTO ledger_entries (kind, points, reason, breakdown, actor, expires_at,
                                   created_at, member_id)
       SELECT 'EARN', 100, 'bench', '{{}}', 'bench',
              now() + make_interval(days => CASE WHEN g % 2 = 0 THEN 20 ELSE 400 END),
              now() - make_interval(days => g), m.id
       FROM members m, generate_series(1, {per}) g""",
    """INSERT INTO points_lots (points, remaining, available_at, released_at, expires_at,
                                created_at, entry_id, member_id)
       SELECT points, points, created_at, created_at, expires_at, created_at, id, member_id
       FROM ledger_entries""",
    """INSERT INTO points_accounts (balance, pending, debt, overdraft_ok, updated_at, member_id)
       SELECT SUM(points), 0, 0, false, now(), member_id FROM ledger_entries GROUP BY member_id""",
    """INSERT INTO coupon_templates (code, name, kind, threshold_fen, value_fen, percent_off,
                                     validity_days, per_member_limit, active)
       VALUES ('BENCH-100-20', '满100减20', 'AMOUNT_OFF', 10000, 2000, 0, 30, NULL, true)""",
    """INSERT INTO coupons (code, status, source, issued_at, valid_from, valid_until,
                            member_id, template_id)
       SELECT 'B' || m.id || 'C' || g, 'ACTIVE', 'STAFF', now(), now(),
              now() + interval '30 days', m.id, t.id
       FROM members m, generate_series(1, 3) g, coupon_templates t
       WHERE t.code = 'BENCH-100-20'""",
    "UPDATE members SET tier_id = (SELECT id FROM tiers ORDER BY rank LIMIT 1)",
]


def settings():
    from domain.config import Settings

    key = base64.b64encode(b"h" * 32).decode()
    return Settings(
        app_env="test",
        database_url=url(DB).replace("postgresql://", "postgres://"),
        redis_url="redis://127.0.0.1:6379/12",
        broker_url="redis://127.0.0.1:6379/12",
        data_keys={"k1": key},
        data_key_id="k1",
        hmac_key=key,
        log_level="WARNING",
    )


async def build(members: int, ledger_rows: int) -> None:
    print(f"building {DB}: {members:,} members, {ledger_rows:,} ledger rows", flush=True)
    await population.create_database(DB, members, settings())
    started = time.perf_counter()
    conn = await asyncpg.connect(url(DB))
    try:
        for sql in EXTRA:
            await conn.execute(sql.format(per=max(1, ledger_rows // members)))
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    print(f"  cards, ledger, lots, coupons in {time.perf_counter() - started:.1f} s", flush=True)


async def credentials(s) -> tuple[list[str], str, str]:
    """Access tokens for TOKENS members, the public key PEM, the scan-code key."""
    from cryptography.hazmat.primitives import serialization
    from tortoise import Tortoise

    from domain.auth.model import Principal, PrincipalKind
    from domain.db import tortoise_config
    from domain.members.cards import _scan_key
    from domain.runtime import Runtime

    await Tortoise.init(config=tortoise_config(s))
    try:
        rt = Runtime.build(s)
        conn = await asyncpg.connect(url(DB))
        try:
            ids = await conn.fetch("SELECT id FROM members ORDER BY random() LIMIT $1", TOKENS)
        finally:
            await conn.close()
        tokens = [
            (await rt.tokens.issue(Principal(kind=PrincipalKind.MEMBER, id=r["id"]), 3600))[0]
            for r in ids
        ]
        _kid, private = await rt.keys.signer()
        pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return tokens, pem.decode(), _scan_key(rt).decode()
    finally:
        await Tortoise.close_connections()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(argv: list[str], env: dict[str, str], port: int, log: Path):
    with log.open("w") as out:
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{argv[0]} exited:\n{log.read_text()[-2000:]}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    tail = log.read_text()[-2000:]
                    raise SystemExit(f"{argv[0]} did not start:\n{tail}") from None
                time.sleep(0.3)
        yield proc
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def tree_cpu_s(root: int) -> float:
    """utime + stime of ``root`` and every descendant (uvicorn's workers), in seconds."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(p for p, parent in parents.items() if parent == pid)
    return total


def drive(name: str, proc: subprocess.Popen, target: str, reqs: Path, a) -> dict:
    before = tree_cpu_s(proc.pid)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            "--url",
            target,
            "--requests-file",
            str(reqs),
            "--duration",
            str(a.duration),
            "--connections",
            str(a.connections),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"load generator failed against {name}:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout)
    result["cpu_ms_per_req"] = round(
        (tree_cpu_s(proc.pid) - before) * 1000 / max(1, result["requests"]), 3
    )
    print(f"  {name:8} {result}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument("--ledger-rows", type=int, default=2_000_000)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--reuse", action="store_true", help="keep the data set of a last run")
    a = p.parse_args(argv)
    s = settings()
    if not a.reuse:
        asyncio.run(build(a.members, a.ledger_rows))
    tokens, pem, scan_key = asyncio.run(credentials(s))
    env = {**os.environ, **{k.upper(): v for k, v in _env(s).items()}}
    raw_env = {
        **os.environ,
        "RAW_DSN": url(DB),
        "RAW_JWT_KEY": pem,
        "RAW_SCAN_KEY": scan_key,
        "RAW_AUDIENCE": s.jwt_audience,
        "RAW_SCAN_TTL": str(s.scan_code_ttl_s),
    }
    api_port, raw_port = free_port(), free_port()
    results: dict[str, list[dict]] = {"graphql": [], "raw": []}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        logs = Path(tmp)
        api = stack.enter_context(
            serving(
                [str(BIN / "loyalty"), "serve", "--port", str(api_port), "--workers", "2"],
                env,
                api_port,
                logs / "api.log",
            )
        )
        raw = stack.enter_context(
            serving(
                [
                    str(BIN / "uvicorn"),
                    "bench.raw_home:app",
                    "--port",
                    str(raw_port),
                    "--workers",
                    "2",
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                raw_env,
                raw_port,
                logs / "raw.log",
            )
        )
        files = {}
        for name, body in (("graphql", {"query": HOME}), ("raw", {})):
            files[name] = logs / f"{name}.json"
            files[name].write_text(json.dumps([{"token": t, "body": body} for t in tokens]))
        targets = {
            "graphql": (api, f"http://127.0.0.1:{api_port}/graphql"),
            "raw": (raw, f"http://127.0.0.1:{raw_port}/home"),
        }
        same_answers(targets["graphql"][1], targets["raw"][1], tokens[:20])
        for rep in range(1, a.repeat + 1):
            order = ("graphql", "raw") if rep % 2 else ("raw", "graphql")
            for name in order:
                proc, target = targets[name]
                results[name].append(drive(name, proc, target, files[name], a))
    row = summary(results, a, asyncio.run(member_count()))
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(row) + "\n")
    table(row)
    return 0


def same_answers(api: str, raw: str, tokens: list[str]) -> None:
    """Both return the same JSON for the same members (but for the scan code, which
    carries its own expiry time): otherwise the comparison would mean nothing."""
    for token in tokens:
        auth = {"Authorization": f"Bearer {token}"}
        ours = httpx.post(api, json={"query": HOME}, headers=auth).json()
        theirs = httpx.post(raw, headers=auth).json()
        for answer in (ours, theirs):
            if "errors" in answer or "data" not in answer:
                raise SystemExit(f"member home failed: {answer}")
            answer["data"]["me"]["card"].pop("scanCode")
        if ours != theirs:
            raise SystemExit(f"the baseline answers differently:\n{ours}\n{theirs}")


def _env(s) -> dict[str, str]:
    return {
        "app_env": s.app_env,
        "database_url": s.database_url,
        "redis_url": s.redis_url,
        "broker_url": s.broker_url,
        "data_keys": json.dumps(s.data_keys),
        "data_key_id": s.data_key_id,
        "hmac_key": s.hmac_key,
        "log_level": "WARNING",
    }


async def member_count() -> int:
    conn = await asyncpg.connect(url(DB))
    try:
        return int(await conn.fetchval("SELECT COUNT(*) FROM members"))
    finally:
        await conn.close()


def summary(results: dict[str, list[dict]], a, members: int) -> dict:
    med = {
        name: {
            k: statistics.median(r[k] for r in runs)
            for k in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_req")
        }
        for name, runs in results.items()
    }
    g, r = med["graphql"], med["raw"]
    return {
        "bench": "home",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "members": members,
        "duration_s": a.duration,
        "connections": a.connections,
        "repeat": a.repeat,
        "graphql": g,
        "raw": r,
        "errors": sum(x["errors"] for runs in results.values() for x in runs),
        "rps_ratio": round(g["rps"] / r["rps"], 2),
        "p99_ratio": round(g["p99_ms"] / r["p99_ms"], 2),
        "cpu_ratio": round(g["cpu_ms_per_req"] / r["cpu_ms_per_req"], 2),
    }


def table(row: dict) -> None:
    g, r = row["graphql"], row["raw"]
    print(f"\nmember home, {row['members']:,} members, medians of {row['repeat']}")
    print(f"{'':10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'CPU ms/req':>12}")
    for name, m in (("graphql", g), ("raw", r)):
        print(f"{name:10}{m['rps']:>10}{m['p50_ms']:>10}{m['p99_ms']:>10}{m['cpu_ms_per_req']:>12}")
    print(
        f"ratios: req/s {row['rps_ratio']}x (target >= 0.30), p99 {row['p99_ratio']}x "
        f"(<= 3), CPU {row['cpu_ratio']}x (<= 5); errors {row['errors']}"
    )


if __name__ == "__main__":
    sys.exit(main())
