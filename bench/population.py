"""Bulk members and orders for benchmarks and large-scale tests (PostgreSQL).

Members go in with ``COPY`` (their phones really encrypted, so workers can message
them); each gets one paid order ten days ago whose amount decides the tier it
qualifies for: member number ``n`` (1-based, in load order) spends ``spend_of(n)``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import asyncpg

from domain.crypto import Cipher
from domain.members.store import PHONE_CONTEXT

BATCH = 20_000


def default_spend(n: int) -> int:
    """One in ten qualifies for silver (2,500 yuan); the rest spend 50 yuan."""
    return 250_000 if n % 10 == 0 else 5_000


def _rows(cipher: Cipher, tag: str, start: int, stop: int, now: datetime) -> Iterator[tuple]:
    for n in range(start, stop):
        phone = f"+86139{n:08d}"
        yield (
            cipher.blind_index(f"{tag}:{phone}", purpose="phone"),
            cipher.encrypt(phone, context=PHONE_CONTEXT),
            f"bench {n}",
            "UNKNOWN",
            "ACTIVE",
            "APP",
            f"bulk:{tag}",
            now,
        )


async def load(
    dsn: str,
    cipher: Cipher,
    count: int,
    *,
    tag: str,
    store_code: str,
    spend_of: Callable[[int], int] = default_spend,
    progress: Callable[[str], None] = lambda _m: None,
) -> list[int]:
    """Insert ``count`` members with one order each; returns their ids in load order."""
    now = datetime.now(UTC)
    conn = await asyncpg.connect(dsn)
    try:
        store_id = await conn.fetchval("SELECT id FROM stores WHERE code = $1", store_code)
        if store_id is None:
            raise ValueError(f"no store {store_code!r}")
        for start in range(1, count + 1, BATCH):
            stop = min(start + BATCH, count + 1)
            await conn.copy_records_to_table(
                "members",
                records=_rows(cipher, tag, start, stop, now),
                columns=[
                    "phone_hash",
                    "phone_enc",
                    "display_name",
                    "gender",
                    "status",
                    "registration_channel",
                    "registered_by",
                    "created_at",
                ],
            )
            progress(f"members: {stop - 1:,} of {count:,}")
        ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM members WHERE registered_by = $1 ORDER BY id", f"bulk:{tag}"
            )
        ]
        paid_at = now - timedelta(days=10)
        orders = (
            (
                f"bulk:{tag}:{n}",
                "POS",
                store_id,
                member_id,
                paid_at,
                spend_of(n),
                0,
                0,
                0,
                0,
                "PAID",
                "[]",
                "",
                now,
            )
            for n, member_id in enumerate(ids, start=1)
        )
        await conn.copy_records_to_table(
            "orders",
            records=orders,
            columns=[
                "external_id",
                "channel",
                "store_id",
                "member_id",
                "paid_at",
                "total_paid_fen",
                "refunded_fen",
                "points_earned",
                "points_redeemed",
                "points_reversed",
                "status",
                "coupon_codes",
                "request_hash",
                "created_at",
            ],
        )
        progress(f"orders: {len(ids):,}")
        return ids
    finally:
        await conn.close()


ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def url(db: str) -> str:
    return ADMIN.rsplit("/", 1)[0] + "/" + db


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def exists(db: str) -> bool:
    conn = await asyncpg.connect(ADMIN)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", db))
    finally:
        await conn.close()


async def create_database(db: str, members: int, settings) -> None:
    """A fresh migrated database: one region and store (SH01), the demo ladder, and
    ``members`` members with one order each (``load``), analysed."""
    from domain import migrations
    from domain.crypto import Cipher
    from domain.demo_data import TIERS

    await admin(f"DROP DATABASE IF EXISTS {db}")
    await admin(f"CREATE DATABASE {db}")
    await migrations.migrate(settings, progress=lambda _m: None)
    conn = await asyncpg.connect(url(db))
    try:
        region = await conn.fetchval(
            "INSERT INTO regions (code, name) VALUES ('EAST', '华东') RETURNING id"
        )
        await conn.execute(
            "INSERT INTO stores (code, name, region_id, channel) "
            "VALUES ('SH01', '徐汇店', $1, 'STORE')",
            region,
        )
        await conn.executemany(
            "INSERT INTO tiers (code, name, rank, threshold_fen, threshold_points, "
            "points_multiplier_pct, benefits) VALUES ($1, $2, $3, $4, 0, $5, $6)",
            [(c, n, rk, t, m, json.dumps(b)) for c, n, rk, t, m, b in TIERS],
        )
    finally:
        await conn.close()
    started = time.perf_counter()
    await load(
        url(db),
        Cipher.from_settings(settings),
        members,
        tag="bench",
        store_code="SH01",
        progress=lambda m: print(f"  load {m}", flush=True),
    )
    conn = await asyncpg.connect(url(db))
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    print(f"  loaded {members:,} members in {time.perf_counter() - started:.1f} s", flush=True)
