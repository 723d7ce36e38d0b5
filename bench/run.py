"""Every benchmark in one run, each against its raw baseline on this machine, now.

    .venv/bin/python -m bench.run                       # 100,000 members, 2,000,000 ledger rows
    .venv/bin/python -m bench.run --members 1000000  # and --ledger-rows N (default 2,000,000)
    .venv/bin/python -m bench.run --reuse --only home,order --duration 20

Builds ``loyalty_bench_home`` (``bench.home.build``; ``--reuse`` keeps the last one),
starts the API (``loyalty serve --workers 2``) and the raw baselines (``bench.raw``,
two workers) on 127.0.0.1, checks that both answer alike, then per scenario drives each
from a separate process (``bench.load``) for ``--duration`` seconds, alternating which
goes first, ``--repeat`` times, and reports medians and ratios:

* ``home``  — member home (the app's query on every open) vs the same SQL raw;
* ``cached`` — the same with the member-home cache on (``HOME_CACHE_TTL_S`` 10, a
  second API), reported apart;
* ``embedded`` — member home on the embedded default (a SQLite copy of the data set,
  one process) vs the PostgreSQL API;
* ``order`` — orderCreate earning points vs the same statements raw, and vs pgbench
  running them with no HTTP at all;
* ``redeem`` — couponRedeem vs the same statements raw;
* ``feed`` — ``me { feed(first: 20) }`` vs the same statements and ranking raw
  (``bench.raw_feed``, no cache), twice: our feed cache off (``FEED_CACHE_TTL_S`` 0, a
  second API) and on (the default, 300 s), reported apart;
* ``tiers`` — the nightly tier batch vs the single SQL statement (``bench.tier_batch``,
  its own database).

JSON lines go to ``bench/results/<scenario>.jsonl``; a table is printed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import redis

from bench import embedded, feed_data, home, population, writes
from bench.harness import RESULTS, append, drive, free_port, medians, serving
from bench.population import url

BIN = Path(sys.executable).parent
SCENARIOS = ("home", "cached", "embedded", "order", "redeem", "feed", "tiers")
CACHE_TTL_S = "10"  # HOME_CACHE_TTL_S of the cached run
TARGETS = {  # figure: (bound, "min" or "max") — the targets, as ratios to raw
    "home": {"rps": (0.30, "min"), "p99_ms": (3.0, "max"), "cpu_ms_per_req": (5.0, "max")},
    "order": {"rps": (0.45, "min")},
    "redeem": {"rps": (0.45, "min")},
    "embedded": {"rps": (0.5, "min")},
    "feed": {"rps": (0.8, "min"), "p99_ms": (2.0, "max")},
    "feed-cached": {"rps": (0.8, "min"), "p99_ms": (2.0, "max")},
}


def compare(name: str, servers: dict, files, a) -> dict:
    """``--repeat`` interleaved runs of two servers — ours first, then its baseline —
    with medians and the ratios ours / baseline. ``files(rep, who)`` is a run's requests."""
    ours, base = servers
    runs: dict[str, list[dict]] = {ours: [], base: []}
    stamp = int(time.time())
    for rep in range(1, a.repeat + 1):
        for who in (ours, base) if rep % 2 else (base, ours):
            proc, target = servers[who]
            tag = f"{name}-{who}-{stamp}-{rep}"
            runs[who].append(drive(f"{name} {who}", proc, target, files(rep, who), a, tag))
    g, r = medians(runs[ours]), medians(runs[base])
    return {
        "bench": name,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "members": a.members_now,
        "duration_s": a.duration,
        "connections": a.connections,
        "repeat": a.repeat,
        "contenders": [ours, base],
        ours: g,
        base: r,
        "errors": sum(x["errors"] for rs in runs.values() for x in rs),
        "ratios": {k: round(g[k] / r[k], 2) for k in g if r.get(k)},
    }


def requests_file(path: Path, token: str | list[str], bodies: list[dict]) -> Path:
    tokens = token if isinstance(token, list) else [token] * len(bodies)
    path.write_text(
        json.dumps([{"token": t, "body": b} for t, b in zip(tokens, bodies, strict=True)])
    )
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument("--ledger-rows", type=int, default=2_000_000)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--reuse", action="store_true", help="keep the data set of a last run")
    p.add_argument("--only", default=",".join(SCENARIOS), help=f"among {','.join(SCENARIOS)}")
    a = p.parse_args(argv)
    only = set(a.only.split(","))
    if only - set(SCENARIOS):
        p.error(f"--only takes {', '.join(SCENARIOS)}")
    s = home.settings()
    rows: list[dict] = []
    if only - {"tiers"}:
        if not (a.reuse and asyncio.run(population.exists(home.DB))):
            asyncio.run(home.build(a.members, a.ledger_rows))
        a.members_now = asyncio.run(home.member_count())
        rows += http_scenarios(s, only, a)
    if "tiers" in only:  # its own process, so its peak RSS is the batch's alone
        argv = [sys.executable, "-m", "bench.tier_batch", "--members", str(a.members)]
        argv += ["--repeat", str(a.repeat), *(["--reuse"] if a.reuse else [])]
        subprocess.run(argv, check=True)
        rows.append(json.loads((RESULTS / "tier_batch.jsonl").read_text().splitlines()[-1]))
    table(rows)
    return 0


def http_scenarios(s, only: set[str], a) -> list[dict]:
    asyncio.run(writes.reset())
    redis.Redis.from_url(s.broker_url).flushdb()  # events relayed by earlier runs
    dsn = url(home.DB)
    feed_members: list[int] = []
    if "feed" in only:
        if not asyncio.run(feed_data.exists(dsn)):
            asyncio.run(feed_data.build(dsn))
        feed_members = asyncio.run(feed_data.member_ids(dsn))
    creds = asyncio.run(home.credentials(s, feed_members))
    env = {**os.environ, **{k.upper(): v for k, v in home._env(s).items()}}
    raw_env = {
        **os.environ,
        "RAW_DSN": url(home.DB),
        "RAW_JWT_KEY": creds.public_pem,
        "RAW_SCAN_KEY": creds.scan_key,
        "RAW_AUDIENCE": f"{s.jwt_audience}/member,{s.jwt_audience}/partner",  # per kind, as the API
        "RAW_SCAN_TTL": str(s.scan_code_ttl_s),
    }
    api_port, raw_port = free_port(), free_port()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        d = Path(tmp)
        serve = [str(BIN / "loyalty"), "serve", "--port", str(api_port), "--workers", "2"]
        api = stack.enter_context(serving(serve, env, api_port, d / "api.log", 2))
        baseline = [sys.executable, "-m", "bench.raw", str(raw_port)]  # served as the API is
        raw = stack.enter_context(serving(baseline, raw_env, raw_port, d / "raw.log", 2))
        api_url, raw_url = f"http://127.0.0.1:{api_port}/graphql", f"http://127.0.0.1:{raw_port}"

        def servers(path: str) -> dict:
            return {"graphql": (api, api_url), "raw": (raw, raw_url + path)}

        if "home" in only:
            home.same_answers(api_url, raw_url + "/home", creds.tokens[:20])
            f = requests_file(d / "home.json", creds.tokens, [{"query": home.HOME}] * home.TOKENS)
            rows.append(compare("home", servers("/home"), lambda rep, who: f, a))
        if "cached" in only:
            f = requests_file(d / "home.json", creds.tokens, [{"query": home.HOME}] * home.TOKENS)
            port = free_port()
            serve = [str(BIN / "loyalty"), "serve", "--port", str(port), "--workers", "2"]
            cached_env = {**env, "HOME_CACHE_TTL_S": CACHE_TTL_S}
            with serving(serve, cached_env, port, d / "cached.log", 2) as proc:
                target = f"http://127.0.0.1:{port}/graphql"
                home.same_answers(target, raw_url + "/home", creds.tokens[:20])
                both = {"graphql": (proc, target), "raw": (raw, raw_url + "/home")}
                rows.append(compare("home-cached", both, lambda rep, who: f, a))
        if "embedded" in only:
            f = requests_file(d / "home.json", creds.tokens, [{"query": home.HOME}] * home.TOKENS)
            with embedded_api(d, a) as lite:
                home.same_answers(lite[1], api_url, creds.tokens[:20], graphql=True)
                both = {"sqlite": lite, "postgres": (api, api_url)}
                rows.append(compare("embedded", both, lambda rep, who: f, a))
        if "order" in only:
            bodies = writes.order_bodies(creds.cards)
            writes.same_outcome(
                api_url, raw_url + "/earn", creds.partner, bodies[:2], "orderCreate"
            )
            f = requests_file(d / "order.json", creds.partner, bodies)
            row = compare("order", servers("/earn"), lambda rep, who: f, a)
            lo, hi = asyncio.run(member_range())
            pg = [
                writes.pgbench(d / "earn.sql", lo, hi, creds.partner_id, a) for _ in range(a.repeat)
            ]
            row["pgbench"] = medians(pg)
            for who in ("graphql", "raw"):
                row["ratios"][f"{who}_vs_pgbench"] = round(
                    row[who]["rps"] / row["pgbench"]["rps"], 2
                )
            rows.append(row)
        if "redeem" in only:
            codes = creds.codes
            bodies = writes.redeem_bodies(codes[:2])
            writes.same_outcome(api_url, raw_url + "/redeem", creds.partner, bodies, "couponRedeem")
            share = (len(codes) - 2) // (2 * a.repeat)  # every run its own unused coupons
            runs = {}
            for i, key in enumerate(
                (r, w) for r in range(1, a.repeat + 1) for w in ("graphql", "raw")
            ):
                part = codes[2 + i * share : 2 + (i + 1) * share]
                runs[key] = requests_file(
                    d / f"redeem-{i}.json", creds.partner, writes.redeem_bodies(part)
                )
            rows.append(compare("redeem", servers("/redeem"), lambda rep, who: runs[(rep, who)], a))
        if "feed" in only:  # last: its campaign would change what orders earn
            rows += feed_scenario(d, env, api, api_url, raw, raw_url, creds.feed_tokens, a)
    for row in rows:
        append(row["bench"], row)
    return rows


def feed_scenario(d: Path, env, api, api_url: str, raw, raw_url: str, tokens, a) -> list[dict]:
    """The feed with our cache off (a second API, ``FEED_CACHE_TTL_S`` 0), then on (the
    API of the other scenarios, default TTL), each against the uncached raw baseline."""
    dsn = url(home.DB)
    campaign = asyncio.run(feed_data.add_campaign(dsn))
    rows = []
    try:
        f = requests_file(d / "feed.json", tokens, [{"query": feed_data.FEED}] * len(tokens))
        port = free_port()
        serve = [str(BIN / "loyalty"), "serve", "--port", str(port), "--workers", "2"]
        with serving(serve, {**env, "FEED_CACHE_TTL_S": "0"}, port, d / "feed.log", 2) as proc:
            target = f"http://127.0.0.1:{port}/graphql"
            feed_data.same_answers(target, raw_url + "/feed", tokens[:20])
            both = {"graphql": (proc, target), "raw": (raw, raw_url + "/feed")}
            rows.append(compare("feed", both, lambda rep, who: f, a))
        feed_data.same_answers(api_url, raw_url + "/feed", tokens[:20])
        feed_data.warm(api_url, tokens)
        both = {"graphql": (api, api_url), "raw": (raw, raw_url + "/feed")}
        rows.append(compare("feed-cached", both, lambda rep, who: f, a))
    finally:
        asyncio.run(feed_data.drop_campaign(dsn, campaign))
    return rows


@contextmanager
def embedded_api(d: Path, a):
    """``loyalty serve`` on the embedded default (one process) over a SQLite copy of the
    data set: (process, GraphQL URL)."""
    if not (a.reuse and embedded.FILE.exists()):
        asyncio.run(embedded.copy())
    es = embedded.embedded_settings()
    env = {**os.environ, **{k.upper(): v for k, v in home._env(es).items()}}
    port = free_port()
    serve = [str(BIN / "loyalty"), "serve", "--port", str(port)]
    with serving(serve, env, port, d / "embedded.log") as proc:
        yield proc, f"http://127.0.0.1:{port}/graphql"


async def member_range() -> tuple[int, int]:
    import asyncpg

    conn = await asyncpg.connect(url(home.DB))
    try:
        row = await conn.fetchrow("SELECT MIN(member_id) AS lo, MAX(member_id) AS hi FROM cards")
        return row["lo"], row["hi"]
    finally:
        await conn.close()


def table(rows: list[dict]) -> None:
    print()
    print(f"{'':24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'CPU ms/req':>12}")
    for row in rows:
        if row["bench"] == "tier_batch":
            ok = "ok" if row["ratio"] <= 1.6 else "MISSED"
            print(
                f"tier batch {row['batch_s']} s vs single statement {row['single_s']} s: "
                f"{row['ratio']}x (<= 1.6 {ok}), peak RSS {max(row['batch_peak_rss_mb'])} MB"
            )
            continue
        for who in (*row["contenders"], "pgbench"):
            m = row.get(who)
            if m:
                cells = "".join(f"{m.get(k, ''):>10}" for k in ("rps", "p50_ms", "p99_ms"))
                print(f"{row['bench'] + ' ' + who:24}{cells}{m.get('cpu_ms_per_req', ''):>12}")
        verdicts = []
        for k, ratio in row["ratios"].items():
            bound = TARGETS.get(row["bench"], {}).get(k)
            mark = ""
            if bound:
                limit, side = bound
                ok = ratio >= limit if side == "min" else ratio <= limit
                sign = ">=" if side == "min" else "<="
                mark = f" ({sign} {limit} {'ok' if ok else 'MISSED'})"
            verdicts.append(f"{k} {ratio}x{mark}")
        print(f"  ratios: {', '.join(verdicts)}; errors {row['errors']}")


if __name__ == "__main__":
    sys.exit(main())
