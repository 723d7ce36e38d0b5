"""The feed read model of the bench data set (``python -m bench.run --only feed``).

On top of ``bench.home.build`` (members in store SH01 of region EAST): ``PRODUCTS``
products in 200 categories, popularity (the 100 best sellers of SH01, of EAST and of the
chain), the members' home store, a claimable coupon template, and a ``feed_members``
document (``domain.feeds.model.MemberModel``, the rebuild's format) for the ``TOKENS``
members the feed load cycles through — the first even member ids, so the home scenario's
members and the write scenarios' odd ones are untouched. Only those members have a
document: the feed reads one row by primary key, so the other 98,000 would change nothing
but the table's size.

Each document is what a member of the rebuild bench gets: ``CANDIDATES`` candidates
(bought together and similar members, each with the product it goes with; seasonal; new
in a favourite category) with their named score parts, 8 rhythms of which about half are
due today (REPLENISH), 10 products bought lately (they leave the feed) and 3 favourite
categories. Deterministic (seeded by member id). Written with plain SQL (``COPY``) and
the project's own ``MemberModel.dumps``; about a second.

The campaign of the feed (a member day, x2) is added only while the feed scenario runs
(``campaign``): the order scenario's raw baseline earns without campaigns.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx
import numpy as np

from domain import clock
from domain.feeds.model import Candidate, FeedKind, MemberModel, Rhythm

PRODUCTS = 2_000
CATEGORIES = 200
POPULAR = 100  # best sellers kept per scope (serving reads the first 60)
CANDIDATES = 60
RHYTHMS = 8
RECENT = 10
TOKENS = 2_000
TEMPLATE = "FEED-NEW-10"
SKU = "70{:010d}"
KINDS = (
    FeedKind.BOUGHT_TOGETHER,
    FeedKind.SIMILAR_MEMBERS,
    FeedKind.SEASONAL,
    FeedKind.NEW_IN_FAVOURITE_CATEGORY,
)


def _path(n: int) -> str:
    return f"类{n % 20}/子类{n % CATEGORIES}"


async def exists(dsn: str) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM feed_members)"))
    finally:
        await conn.close()


def document(member_id: int, products: np.ndarray, today: date) -> MemberModel:
    """A member's read-model document, as the rebuild writes it (seeded by the member)."""
    rng = np.random.default_rng(member_id)
    picked = rng.choice(len(products), CANDIDATES + RHYTHMS + RECENT, replace=False)
    ids = [int(products[i]) for i in picked]
    cands, staples, recent = (
        ids[:CANDIDATES],
        ids[CANDIDATES : CANDIDATES + RHYTHMS],
        ids[CANDIDATES + RHYTHMS :],
    )
    candidates = []
    for rank, pid in enumerate(cands):
        kind = KINDS[int(rng.integers(len(KINDS)))]
        score = round(float(1.0 / (1 + rank * 0.1) * rng.uniform(0.8, 1.0)), 6)
        parts = {"base": round(score * 0.7, 6), "recency": round(score * 0.3, 6)}
        ref = staples[rank % RHYTHMS] if kind in KINDS[:2] else None
        candidates.append(Candidate(pid, kind, score, parts, ref))
    rhythms = []
    for i, pid in enumerate(staples):
        gap = float(rng.integers(7, 30))
        since = int(gap * (1.2 if i % 2 == 0 else 0.3))  # every other one due now
        rhythms.append(Rhythm(pid, int(rng.integers(3, 12)), gap, today - timedelta(days=since)))
    bought = {pid: today - timedelta(days=int(rng.integers(1, 25))) for pid in recent}
    favourites = sorted({_path(pid).split("/")[0] for pid in staples})[:3]
    return MemberModel(candidates, rhythms, bought, favourites)


async def build(dsn: str) -> None:
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "products",
            records=(
                (SKU.format(n), f"商品{n}", _path(n), "", 100 + n % 5000, False)
                for n in range(PRODUCTS)
            ),
            columns=["sku", "name", "category_path", "brand", "price_fen", "excluded_from_points"],
        )
        products = np.asarray(
            [r["id"] for r in await conn.fetch("SELECT id FROM products ORDER BY id")], np.int64
        )
        store = await conn.fetchrow("SELECT id, region_id FROM stores WHERE code = 'SH01'")
        rng = np.random.default_rng(17)
        rows = []
        scopes = (("STORE", store["id"]), ("REGION", store["region_id"]), ("CHAIN", 0))
        for scope, scope_id in scopes:
            best = rng.choice(products, POPULAR, replace=False)
            for rank, pid in enumerate(best, start=1):
                buyers = 5_000 // rank + 10
                rows.append((scope, scope_id, int(pid), buyers, float(buyers), rank))
        await conn.copy_records_to_table(
            "feed_popularity",
            records=rows,
            columns=["scope", "scope_id", "product_id", "buyers", "score", "rank"],
        )
        await conn.execute("UPDATE members SET home_store_id = $1", store["id"])
        await conn.execute(
            "INSERT INTO coupon_templates (code, name, kind, threshold_fen, value_fen, "
            "percent_off, validity_days, per_member_limit, active, claimable) "
            "VALUES ($1, '新客满50减10', 'AMOUNT_OFF', 5000, 1000, 0, 30, 1, true, true)",
            TEMPLATE,
        )
        members = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM members WHERE id % 2 = 0 ORDER BY id LIMIT $1", TOKENS
            )
        ]
        today = clock.business_date(datetime.now(UTC))
        now = datetime.now(UTC)
        await conn.copy_records_to_table(
            "feed_members",
            records=((m, document(m, products, today).dumps(), 1, now) for m in members),
            columns=["member_id", "doc", "version", "computed_at"],
        )
        await conn.execute("VACUUM ANALYZE products, feed_popularity, feed_members, members")
    finally:
        await conn.close()
    print(
        f"  feed read model: {PRODUCTS:,} products, {len(members):,} member documents "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


async def member_ids(dsn: str) -> list[int]:
    """The members with a document: the feed load's members."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT member_id FROM feed_members ORDER BY member_id")
        return [r["member_id"] for r in rows]
    finally:
        await conn.close()


async def add_campaign(dsn: str) -> int:
    """A member day (x2) running today, for the feed scenario only (``drop_campaign`` after)."""
    conn = await asyncpg.connect(dsn)
    try:
        today = clock.business_date(datetime.now(UTC))
        return int(
            await conn.fetchval(
                "INSERT INTO points_campaigns (name, multiplier_pct, starts_on, ends_on, "
                "weekdays, active, created_at) "
                "VALUES ('会员日', 200, $1, $2, '[]', true, now()) RETURNING id",
                today - timedelta(days=1),
                today + timedelta(days=1),
            )
        )
    finally:
        await conn.close()


async def drop_campaign(dsn: str, campaign_id: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DELETE FROM points_campaigns WHERE id = $1", campaign_id)
    finally:
        await conn.close()


FEED = """query Feed { me { feed(first: 20) {
  edges { cursor node { __typename ... on FeedEntry { id kind reason }
    ... on ProductSuggestion { product { id sku name categoryPath priceFen } }
    ... on CouponOffer { templateCode name couponKind description stockLeft }
    ... on CampaignItem { name multiplierPct endsOn }
    ... on PointsExpiringItem { points lastUsableDay expiresAt } } }
  pageInfo { hasNextPage endCursor } } } }"""


def same_answers(api: str, raw: str, tokens: list[str]) -> None:
    """The API and the raw baseline return the same JSON for the same members (20 items,
    products and offers alike): otherwise the comparison would mean nothing."""
    for token in tokens:
        auth = {"Authorization": f"Bearer {token}"}
        ours = httpx.post(api, json={"query": FEED}, headers=auth).json()
        theirs = httpx.post(raw, headers=auth).json()
        if "errors" in ours or "data" not in ours:
            raise SystemExit(f"the feed failed: {ours}")
        edges = ours["data"]["me"]["feed"]["edges"]
        kinds = {e["node"]["__typename"] for e in edges}
        if len(edges) != 20 or len(kinds) < 4:  # products and the three kinds of offers
            raise SystemExit(f"the feed is not the bench's ({len(edges)} items, {kinds})")
        if ours != theirs:
            raise SystemExit(f"the baseline answers differently:\n{ours}\n{theirs}")


def warm(api: str, tokens: list[str], connections: int = 32) -> None:
    """Read every member's feed once (32 at a time), so a cached run measures the cache's
    steady state (a member opening the feed again within the TTL), not its first fill."""
    import asyncio

    async def run() -> None:
        queue = list(tokens)
        async with httpx.AsyncClient(timeout=60) as client:

            async def worker() -> None:
                while queue:
                    token = queue.pop()
                    auth = {"Authorization": f"Bearer {token}"}
                    await client.post(api, json={"query": FEED}, headers=auth)

            await asyncio.gather(*(worker() for _ in range(connections)))

    asyncio.run(run())
