"""The bench data set and the member-home scenario's pieces (``python -m bench.run``).

``build`` makes ``loyalty_bench_home`` on PostgreSQL 127.0.0.1: members with one order,
a card, points entries and lots (every other one expiring within 30 days), a points
account, three active coupons each. ``credentials`` mints what the load needs: member
tokens, a partner token, the public key and scan-code key for the raw baseline.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field

import asyncpg
import httpx

from bench import population
from bench.population import url

DB = "loyalty_bench_home"
TOKENS = 2_000  # distinct members the load cycles through
CODES = 240_000  # coupons for the redeem runs: 20,000 for each of 2 x 6 runs at most
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


@dataclass
class Credentials:
    tokens: list[str]  # member access tokens (home)
    cards: list[str]  # card numbers of other members (orders)
    partner: str  # a partner token with orders:write and coupons:redeem
    partner_id: int
    public_pem: str  # for the raw baseline's token check
    scan_key: str
    codes: list[str]  # active coupons of neither group (redeem)
    feed_tokens: list[str] = field(default_factory=list)  # members with a feed document


async def credentials(s, feed_members: list[int] | None = None) -> Credentials:
    """Tokens for TOKENS even members (home), cards and coupons of odd ones (writes), a
    partner, the keys; and tokens for ``feed_members`` (the feed scenario's)."""
    from cryptography.hazmat.primitives import serialization
    from tortoise import Tortoise

    from domain.auth.model import Principal, PrincipalKind
    from domain.db import tortoise_config
    from domain.members.cards import _scan_key
    from domain.partners.services import create_partner
    from domain.runtime import Runtime

    await Tortoise.init(config=tortoise_config(s))
    try:
        rt = Runtime.build(s)
        conn = await asyncpg.connect(url(DB))
        try:
            # home reads even members, writes go to odd ones: runs never disturb each other
            ids = [
                r["id"]
                for r in await conn.fetch(
                    "SELECT id FROM members WHERE id % 2 = 0 ORDER BY random() LIMIT $1", TOKENS
                )
            ]
            cards = await conn.fetch(
                "SELECT number FROM cards WHERE member_id % 2 = 1 ORDER BY random() LIMIT $1",
                TOKENS,
            )
            codes = await conn.fetch(
                "SELECT code FROM coupons WHERE status = 'ACTIVE' AND member_id % 2 = 1 "
                "ORDER BY id LIMIT $1",
                CODES,
            )
        finally:
            await conn.close()
        tokens = [
            (await rt.tokens.issue(Principal(kind=PrincipalKind.MEMBER, id=i), 7200))[0]
            for i in ids
        ]
        scopes = ["orders:write", "coupons:redeem"]
        app, _secret = await create_partner(f"bench-{time.time_ns()}", scopes)
        partner = Principal(kind=PrincipalKind.PARTNER, id=app.id, scopes=frozenset(scopes))
        _kid, private = await rt.keys.signer()
        pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return Credentials(
            tokens=tokens,
            cards=[r["number"] for r in cards],
            partner=(await rt.tokens.issue(partner, 7200))[0],
            partner_id=app.id,
            public_pem=pem.decode(),
            scan_key=_scan_key(rt).decode(),
            codes=[r["code"] for r in codes],
            feed_tokens=[
                (await rt.tokens.issue(Principal(kind=PrincipalKind.MEMBER, id=i), 7200))[0]
                for i in feed_members or []
            ],
        )
    finally:
        await Tortoise.close_connections()


def same_answers(api: str, other: str, tokens: list[str], graphql: bool = False) -> None:
    """Both return the same JSON for the same members (but for the scan code, which
    carries its own expiry time): otherwise the comparison would mean nothing.
    ``other`` is the raw baseline, or with ``graphql`` another API (the embedded one)."""
    for token in tokens:
        auth = {"Authorization": f"Bearer {token}"}
        ours = httpx.post(api, json={"query": HOME}, headers=auth).json()
        theirs = httpx.post(other, json={"query": HOME} if graphql else None, headers=auth).json()
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
