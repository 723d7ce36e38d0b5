"""The embedded default (SQLite file, in-memory cache, in-process worker, one process)
serving member home, for the comparison with the PostgreSQL figure of the same run.

``copy`` makes ``bench/results/embedded.sqlite3`` from the bench's PostgreSQL data set:
migrated by the platform itself, then the tables member home reads (and the signing
keys, so the same tokens work) copied over row by row, as they are stored.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime
from pathlib import Path

import asyncpg

from bench.home import DB
from bench.population import url

FILE = Path(__file__).parent / "results" / "embedded.sqlite3"
TABLES = [  # parents first
    "regions",
    "stores",
    "tiers",
    "signing_keys",
    "members",
    "cards",
    "tier_states",
    "orders",
    "points_accounts",
    "ledger_entries",
    "points_lots",
    "coupon_templates",
    "coupons",
]
BATCH = 50_000


def embedded_settings():
    from bench.home import settings

    return settings().model_copy(
        update={"database_url": f"sqlite://{FILE}", "redis_url": "", "broker_url": ""}
    )


def _value(v):
    """As Tortoise stores it on SQLite (``tortoise.backends.sqlite.executor``)."""
    if isinstance(v, datetime):
        return v.isoformat(" ")
    return v


async def copy() -> None:
    from domain import migrations

    started = time.perf_counter()
    FILE.parent.mkdir(exist_ok=True)
    FILE.unlink(missing_ok=True)
    await migrations.migrate(embedded_settings(), progress=lambda _m: None)
    lite = sqlite3.connect(FILE)
    pg = await asyncpg.connect(url(DB))
    try:
        lite.execute("PRAGMA foreign_keys = OFF")
        for table in TABLES:
            mine = {r[1] for r in lite.execute(f"PRAGMA table_info({table})")}
            theirs = [
                r["column_name"]
                for r in await pg.fetch(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = $1 ORDER BY ordinal_position",
                    table,
                )
            ]
            cols = [c for c in theirs if c in mine]
            names = ", ".join(cols)
            insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(cols))})"
            lite.execute(f"DELETE FROM {table}")
            n = 0
            async with pg.transaction():
                rows = []
                async for r in pg.cursor(f"SELECT {names} FROM {table}"):
                    rows.append([_value(v) for v in r])
                    if len(rows) == BATCH:
                        lite.executemany(insert, rows)
                        n, rows = n + len(rows), []
                lite.executemany(insert, rows)
                n += len(rows)
            lite.commit()
            print(f"  sqlite: {table} {n:,} rows", flush=True)
        lite.execute("ANALYZE")
        lite.commit()
    finally:
        lite.close()
        await pg.close()
    print(f"  embedded copy in {time.perf_counter() - started:.1f} s", flush=True)
