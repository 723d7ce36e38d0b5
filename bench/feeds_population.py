"""A year of a chain's baskets for the feed rebuild bench (PostgreSQL, ``COPY``).

On top of ``bench.population.create_database`` (members with one line-less order each):
5 regions x 10 stores, ``products`` products in 200 categories, and for every member a
year of orders with lines:

* orders per member: geometric, mean 6 a year (1 in 7 members bought nothing);
* each order on a uniform day of the last 365, 80 % in the member's own store;
* lines per order: 1 + Poisson(4), mean 5;
* half of a member's lines are their 8 staples (rebought: rhythms), the rest drawn from a
  Zipf-like popularity over the catalogue (rank r weighs 1 / (r + 10)^0.9).

1,000,000 members give about 6,000,000 orders and 30,000,000 lines. Deterministic
(seeded). The history reads join lines to orders by the index ``order_lines (order_id)``
of migration 0017 (built with the table, before these rows: COPY keeps it up).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import asyncpg
import numpy as np

ORDERS_MEAN = 6
LINES_MEAN = 5
STAPLES = 8
STORES_PER_REGION = 10
REGIONS = 5
CATEGORIES = 200
CHUNK = 50_000  # members generated at a time


def _category(n: int) -> str:
    return f"类{n % 20}/子类{n % CATEGORIES}"


def _popularity(products: int) -> np.ndarray:
    w = 1.0 / (np.arange(products) + 10.0) ** 0.9
    return np.cumsum(w / w.sum())


async def add_chain(dsn: str, products: int, progress) -> tuple[np.ndarray, np.ndarray]:
    """Regions, stores and products; (store ids, product ids)."""
    conn = await asyncpg.connect(dsn)
    try:
        store_ids = []
        for r in range(REGIONS):
            region = await conn.fetchval(
                "INSERT INTO regions (code, name) VALUES ($1, $2) RETURNING id", f"FR{r}", f"区{r}"
            )
            for s in range(STORES_PER_REGION):
                store_ids.append(
                    await conn.fetchval(
                        "INSERT INTO stores (code, name, region_id, channel) "
                        "VALUES ($1, $2, $3, 'STORE') RETURNING id",
                        f"F{r}{s:02d}",
                        f"店{r}-{s}",
                        region,
                    )
                )
        await conn.copy_records_to_table(
            "products",
            records=(
                (
                    f"69{n:010d}",
                    f"商品{n}",
                    f"类{n % 20}/子类{n % CATEGORIES}",
                    "",
                    100 + n % 5000,
                    False,
                )
                for n in range(products)
            ),
            columns=["sku", "name", "category_path", "brand", "price_fen", "excluded_from_points"],
        )
        product_ids = await conn.fetch("SELECT id FROM products ORDER BY id")
        progress(f"{len(store_ids)} stores, {len(product_ids):,} products")
        return np.asarray(store_ids, np.int64), np.asarray([r["id"] for r in product_ids], np.int64)
    finally:
        await conn.close()


async def add_baskets(dsn: str, products: int, progress, seed: int = 17) -> tuple[int, int]:
    """A year of orders and lines for every member; (orders, lines)."""
    store_ids, product_ids = await add_chain(dsn, products, progress)
    rng = np.random.default_rng(seed)
    cdf = _popularity(len(product_ids))
    now = datetime.now(UTC).replace(microsecond=0)
    conn = await asyncpg.connect(dsn)
    try:
        # generated rows are consistent by construction: no per-row foreign key triggers
        # (they cut COPY to ~40,000 lines/s); the bench connects as a superuser
        await conn.execute("SET session_replication_role = replica")
        members = np.asarray(
            [r["id"] for r in await conn.fetch("SELECT id FROM members ORDER BY id")], np.int64
        )
        next_order = int(await conn.fetchval("SELECT COALESCE(MAX(id), 0) FROM orders")) + 1
        total_orders = total_lines = 0
        started = time.perf_counter()
        for at in range(0, len(members), CHUNK):
            ids = members[at : at + CHUNK]
            n = len(ids)
            home = rng.integers(0, len(store_ids), n)
            staples = np.searchsorted(cdf, rng.random((n, STAPLES)))
            per_member = rng.geometric(1 / (ORDERS_MEAN + 1), n) - 1
            o_member = np.repeat(np.arange(n), per_member)
            k = len(o_member)
            o_id = np.arange(next_order, next_order + k, dtype=np.int64)
            next_order += k
            o_day = rng.integers(0, 365, k)
            o_secs = rng.integers(0, 13 * 3600, k)  # 08:00-21:00 Asia/Shanghai
            own = rng.random(k) < 0.8
            o_store = np.where(own, home[o_member], rng.integers(0, len(store_ids), k))
            per_order = 1 + rng.poisson(LINES_MEAN - 1, k)
            l_order = np.repeat(np.arange(k), per_order)
            m = len(l_order)
            staple = rng.random(m) < 0.5
            pick = np.where(
                staple,
                staples[o_member[l_order], rng.integers(0, STAPLES, m)],
                np.searchsorted(cdf, rng.random(m)),
            )
            pick = np.minimum(pick, len(product_ids) - 1)
            qty = 1 + rng.poisson(0.3, m)
            price = 100 + pick % 5000
            fen = np.bincount(l_order, weights=qty * price, minlength=k).astype(np.int64)
            base = now - timedelta(days=365)
            paid = [
                base + timedelta(days=int(d), seconds=int(s))
                for d, s in zip(o_day.tolist(), o_secs.tolist(), strict=True)
            ]
            orders = zip(
                o_id.tolist(),
                (f"feeds:{i}" for i in o_id.tolist()),
                store_ids[o_store].tolist(),
                ids[o_member].tolist(),
                paid,
                fen.tolist(),
                strict=True,
            )
            await conn.copy_records_to_table(
                "orders",
                records=(
                    (i, ext, "POS", st, mem, p, f, 0, 0, 0, 0, "PAID", "[]", "", p)
                    for i, ext, st, mem, p, f in orders
                ),
                columns=[
                    "id",
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
            skus = [f"69{p:010d}" for p in pick.tolist()]
            await conn.copy_records_to_table(
                "order_lines",
                records=zip(
                    o_id[l_order].tolist(),
                    product_ids[pick].tolist(),
                    skus,
                    qty.tolist(),
                    price.tolist(),
                    [0] * m,
                    [0] * m,
                    strict=True,
                ),
                columns=[
                    "order_id",
                    "product_id",
                    "sku",
                    "quantity",
                    "unit_price_fen",
                    "discount_fen",
                    "refunded_quantity",
                ],
            )
            total_orders += k
            total_lines += m
            progress(
                f"baskets: members {at + n:,} of {len(members):,}, {total_orders:,} orders, "
                f"{total_lines:,} lines ({time.perf_counter() - started:.0f} s)"
            )
        await conn.execute("SELECT setval(pg_get_serial_sequence('orders', 'id'), $1)", next_order)
        await conn.execute("VACUUM ANALYZE orders")
        await conn.execute("VACUUM ANALYZE order_lines")
        return total_orders, total_lines
    finally:
        await conn.close()
