"""The nightly feed rebuild at scale.

    .venv/bin/python -m bench.feeds_rebuild --members 100000 --products 20000
    .venv/bin/python -m bench.feeds_rebuild --members 1000000 --products 20000 --reuse

Builds (or with ``--reuse`` keeps) ``loyalty_bench_feeds_<members>``: a migrated
PostgreSQL database with the members of ``bench.population`` and a year of baskets
(``bench.feeds_population``: ~6 orders and ~30 lines per member), then runs the rebuild
through the production code in a process of its own (``--one-run``): phase 1 (train on
every line, write neighbours, rules, popularity, product stats, create the ranges), then
every range job (``domain.feeds.rebuild.run_range``) inline, one after the other — what
worker processes would share. Reports wall time per phase, the lines read, and the peak
RSS of that process (VmHWM), flat when memory does not grow with members. Results are
appended as JSON lines to ``bench/results/feeds_rebuild.jsonl``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import feeds_population, population
from bench.harness import append
from bench.population import url


def db_name(members: int) -> str:
    return f"loyalty_bench_feeds_{members}"


def settings_for(db: str, range_members: int):
    from domain.config import Settings

    key = base64.b64encode(b"f" * 32).decode()
    return Settings(
        app_env="test",
        database_url=url(db).replace("postgresql://", "postgres://"),
        data_keys={"k1": key},
        data_key_id="k1",
        hmac_key=key,
        feed_rebuild_range_members=range_members,
        log_level="WARNING",
    )


def peak_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


async def build(members: int, products: int) -> dict:
    db = db_name(members)
    started = time.perf_counter()
    await population.create_database(db, members, settings_for(db, 50_000))
    orders, lines = await feeds_population.add_baskets(
        url(db), products, lambda m: print(f"  {m}", flush=True)
    )
    took = time.perf_counter() - started
    print(f"  built {db}: {orders:,} orders, {lines:,} lines in {took:.0f} s", flush=True)
    return {"orders": orders, "lines": lines, "build_s": round(took)}


def _say(m: str) -> None:
    print(f"  {m}", file=sys.stderr, flush=True)


async def one_run(members: int, range_members: int, workers: int) -> dict:
    """The rebuild: inline (``rebuild_now``) or, with ``workers``, phase 1 here and the
    range jobs in that many processes (what worker machines do with the messages)."""
    from tortoise import Tortoise

    from domain.db import tortoise_config
    from domain.feeds import rebuild
    from domain.feeds.store import build as feed_store

    s = settings_for(db_name(members), range_members)
    await Tortoise.init(config=tortoise_config(s))
    try:
        started = time.perf_counter()
        if not workers:
            run = await rebuild.rebuild_now(s, progress=_say)
            elapsed = time.perf_counter() - started
            return {
                "elapsed_s": round(elapsed, 1),
                "detail": run,
                "peak_rss_mb": round(peak_rss_mb()),
            }
        first = await rebuild.start(s, announce=False, progress=_say)
        phase1 = time.perf_counter() - started
        rebuild_id, range_ids = first.rebuild_id, first.range_ids
        del first  # its model: the range processes load it from the tables, as workers do
        shares = [range_ids[k::workers] for k in range(workers)]
        argv = [sys.executable, "-m", "bench.feeds_rebuild", "--members", str(members)]
        argv += ["--range-members", str(range_members), "--range-worker"]
        procs = [
            await asyncio.create_subprocess_exec(
                *argv, ",".join(map(str, ids)), stdout=asyncio.subprocess.PIPE
            )
            for ids in shares
            if ids
        ]
        outs = [
            json.loads((await p.communicate())[0].decode().strip().splitlines()[-1]) for p in procs
        ]
        elapsed = time.perf_counter() - started
        row = await feed_store.rebuild_row(rebuild_id)
        return {
            "elapsed_s": round(elapsed, 1),
            "phase1_s": round(phase1, 1),
            "ranges_s": round(elapsed - phase1, 1),
            "workers": outs,
            "detail": {"status": row.status, "members_done": row.members_done, **row.detail},
            "peak_rss_mb": round(peak_rss_mb()),
        }
    finally:
        await Tortoise.close_connections()


async def range_worker(members: int, range_members: int, ids: list[int]) -> dict:
    from tortoise import Tortoise

    from domain.db import tortoise_config
    from domain.feeds.rebuild import run_range

    s = settings_for(db_name(members), range_members)
    await Tortoise.init(config=tortoise_config(s))
    try:
        started = time.perf_counter()
        done = [await run_range(s, i, progress=_say) for i in ids]
        elapsed = time.perf_counter() - started
    finally:
        await Tortoise.close_connections()
    return {
        "ranges": len(ids),
        "members": sum(d or 0 for d in done),
        "elapsed_s": round(elapsed, 1),
        "peak_rss_mb": round(peak_rss_mb()),
    }


async def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument("--products", type=int, default=20_000)
    p.add_argument("--range-members", type=int, default=50_000)  # FEED_REBUILD_RANGE_MEMBERS
    p.add_argument("--reuse", action="store_true", help="keep the data set of a last run")
    p.add_argument("--build-only", action="store_true")
    p.add_argument("--workers", type=int, default=0, help="range jobs in N processes")
    p.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--range-worker", default="", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.one_run:
        print(json.dumps(await one_run(a.members, a.range_members, a.workers), default=str))
        return 0
    if a.range_worker:
        ids = [int(i) for i in a.range_worker.split(",")]
        print(json.dumps(await range_worker(a.members, a.range_members, ids)))
        return 0
    built: dict = {}
    if not (a.reuse and await population.exists(db_name(a.members))):
        print(f"building: {a.members:,} members, {a.products:,} products", flush=True)
        built = await build(a.members, a.products)
    if a.build_only:
        return 0
    argv2 = [sys.executable, "-m", "bench.feeds_rebuild", "--one-run"]
    argv2 += ["--members", str(a.members), "--range-members", str(a.range_members)]
    argv2 += ["--workers", str(a.workers)]
    out = subprocess.run(argv2, check=True, stdout=subprocess.PIPE, text=True).stdout  # noqa: ASYNC221
    r = json.loads(out.strip().splitlines()[-1])
    row = {
        "bench": "feeds_rebuild",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "members": a.members,
        "products": a.products,
        "range_members": a.range_members,
        "workers": a.workers,
        **built,
        **r,
    }
    append("feeds_rebuild", row)
    print(json.dumps(row, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
