"""Nightly tier batch against the single SQL statement doing the same tier update.

    .venv/bin/python -m bench.tier_batch                    # 100,000 members
    .venv/bin/python -m bench.tier_batch --members 1000000  # the scale the issue asks

Builds a PostgreSQL database on 127.0.0.1 (migrated, the demo ladder, N members with
one order each, one in ten over the silver threshold) and keeps it as a template;
every repetition runs on a fresh copy of it, alternating the two contenders:

* ``batch``  — ``domain.tiers.batch.run_nightly``: chunked, resumable, with history,
  tier states, outbox events and the checkpoint (what production runs);
* ``single`` — one ``UPDATE members ... FROM (aggregate)`` setting every tier, nothing
  else (the least any implementation must do).

Reports wall time (median of the repetitions), the ratio batch / single, and the peak
RSS of each batch run — every batch runs in a process of its own (``--one-batch``), so
the figure is the batch's alone, not the loader's: flat when memory does not grow with
members. Results are appended as JSON lines to ``bench/results/tier_batch.jsonl``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench import population
from bench.harness import append
from bench.population import admin, url

TEMPLATE = "loyalty_bench_tiers_template"
COPY = "loyalty_bench_tiers_run"

SINGLE = """UPDATE members m SET tier_id = q.target_id
FROM (
  SELECT s.id,
         (SELECT t.id FROM tiers t WHERE t.threshold_fen <= s.spend
          ORDER BY t.rank DESC LIMIT 1) AS target_id
  FROM (SELECT m2.id, COALESCE(SUM(o.total_paid_fen - o.refunded_fen), 0) AS spend
        FROM members m2 LEFT JOIN orders o ON o.member_id = m2.id AND o.paid_at > $1
        WHERE m2.status = 'ACTIVE' GROUP BY m2.id) s
) q
WHERE q.id = m.id AND m.tier_id IS DISTINCT FROM q.target_id"""


def settings_for(db: str, chunk: int):
    from domain.config import Settings

    key = base64.b64encode(b"b" * 32).decode()
    return Settings(
        app_env="test",
        database_url=url(db).replace("postgresql://", "postgres://"),
        data_keys={"k1": key},
        data_key_id="k1",
        hmac_key=key,
        tier_batch_chunk=chunk,
        log_level="WARNING",
    )


async def build_template(members: int) -> None:
    await admin(f"DROP DATABASE IF EXISTS {COPY}")
    await population.create_database(TEMPLATE, members, settings_for(TEMPLATE, 5000))


async def fresh_copy() -> None:
    await admin(f"DROP DATABASE IF EXISTS {COPY}")
    await admin(f"CREATE DATABASE {COPY} TEMPLATE {TEMPLATE}")


async def run_single() -> tuple[float, int]:
    conn = await asyncpg.connect(url(COPY))
    try:
        started = time.perf_counter()
        status = await conn.execute(SINGLE, datetime.now(UTC) - timedelta(days=365))
        return time.perf_counter() - started, int(status.split()[-1])
    finally:
        await conn.close()


def run_batch(chunk: int) -> tuple[float, int, float]:
    """The batch on the fresh copy, in a process of its own: seconds, members placed,
    that process's peak RSS in MB."""
    argv = [sys.executable, "-m", "bench.tier_batch", "--one-batch", "--chunk", str(chunk)]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return r["elapsed_s"], r["placed"], r["peak_rss_mb"]


async def one_batch(chunk: int) -> dict:
    from tortoise import Tortoise

    from domain.db import tortoise_config
    from domain.tiers.batch import run_nightly

    s = settings_for(COPY, chunk)
    await Tortoise.init(config=tortoise_config(s))
    try:
        started = time.perf_counter()
        await run_nightly(s, progress=lambda _m: None)
        elapsed = time.perf_counter() - started
    finally:
        await Tortoise.close_connections()
    conn = await asyncpg.connect(url(COPY))
    try:
        placed = await conn.fetchval("SELECT COUNT(*) FROM members WHERE tier_id IS NOT NULL")
    finally:
        await conn.close()
    return {"elapsed_s": elapsed, "placed": int(placed), "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from
    the parent that started it)."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


async def measure(argv: list[str] | None = None) -> dict:
    """Run the comparison; its result row (also appended to the results file)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=20_000)  # TIER_BATCH_CHUNK
    parser.add_argument("--reuse", action="store_true", help="keep the template of a last run")
    parser.add_argument("--one-batch", action="store_true", help=argparse.SUPPRESS)
    a = parser.parse_args(argv)
    if a.one_batch:  # a child of run_batch: the batch alone, its figures as JSON
        return await one_batch(a.chunk)
    if not (a.reuse and await population.exists(TEMPLATE)):
        print(f"building the data set: {a.members:,} members", flush=True)
        await build_template(a.members)
    times: dict[str, list[float]] = {"batch": [], "single": []}
    rss: list[float] = []
    for rep in range(1, a.repeat + 1):
        order = ("batch", "single") if rep % 2 else ("single", "batch")
        for name in order:
            await fresh_copy()
            if name == "batch":
                elapsed, placed, peak = run_batch(a.chunk)
                rss.append(peak)
            else:
                elapsed, placed = await run_single()
            times[name].append(elapsed)
            print(f"  rep {rep} {name:6} {elapsed:7.2f} s  ({placed:,} members placed)", flush=True)
    await admin(f"DROP DATABASE IF EXISTS {COPY}")
    batch, single = statistics.median(times["batch"]), statistics.median(times["single"])
    row = {
        "bench": "tier_batch",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "members": a.members,
        "chunk": a.chunk,
        "repeat": a.repeat,
        "batch_s": round(batch, 3),
        "single_s": round(single, 3),
        "ratio": round(batch / single, 2),
        "target_ratio": 1.6,
        "batch_peak_rss_mb": [round(x, 1) for x in rss],
        "members_per_s": round(a.members / batch),
    }
    append("tier_batch", row)
    return row


async def main(argv: list[str] | None = None) -> int:
    row = await measure(argv)
    if "bench" not in row:  # --one-batch
        print(json.dumps(row))
        return 0
    rss = row["batch_peak_rss_mb"]
    print()
    print("| members | batch (median) | single statement | ratio | target | peak RSS |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {row['members']:,} | {row['batch_s']:.2f} s | {row['single_s']:.2f} s "
        f"| {row['ratio']}x | <= 1.6x | {max(rss):.0f} MB |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
