"""The write scenarios' pieces: orderCreate (earning) and couponRedeem request bodies,
the reset that makes a reused data set redeemable again, and orderCreate's statements
as a pgbench script (the same SQL with no HTTP, no Python at all)."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from bench.home import DB
from bench.population import url

ORDER = """mutation Order($in: OrderCreateInput!) { orderCreate(input: $in) { __typename
  ... on OrderCreateSuccess { replayed order { externalId pointsEarned } }
  ... on UserError { code message } } }"""
REDEEM = """mutation Redeem($in: CouponRedeemInput!) { couponRedeem(input: $in) { __typename
  ... on CouponRedeemSuccess { replayed redemption { code discountFen } }
  ... on UserError { code message } } }"""
LINES = [{"sku": "690000000001", "quantity": 2, "unitPriceFen": 6_150}]  # 123.00 yuan


def order_bodies(cards: list[str]) -> list[dict]:
    """One orderCreate per card, each request a new order number (``@N@``)."""
    paid_at = datetime.now(UTC).isoformat()
    return [
        {
            "query": ORDER,
            "variables": {
                "in": {
                    "externalId": "@N@",
                    "channel": "POS",
                    "storeCode": "SH01",
                    "paidAt": paid_at,
                    "lines": LINES,
                    "totalPaidFen": 12_300,
                    "member": {"cardNumber": card},
                }
            },
        }
        for card in cards
    ]


def redeem_bodies(codes: list[str]) -> list[dict]:
    """One couponRedeem per code, each for a new order number."""
    draft = {"storeCode": "SH01", "channel": "POS", "lines": LINES}
    return [
        {
            "query": REDEEM,
            "variables": {"in": {"code": c, "orderExternalId": "@N@", "order": draft}},
        }
        for c in codes
    ]


async def reset() -> None:
    """Coupons used by an earlier run become active again (the bench's own data set)."""
    conn = await asyncpg.connect(url(DB))
    try:
        await conn.execute("DELETE FROM coupon_redemptions")
        await conn.execute("UPDATE coupons SET status = 'ACTIVE' WHERE status = 'USED'")
        await conn.execute("UPDATE coupon_templates SET discount_given_fen = 0")
    finally:
        await conn.close()


def same_outcome(api: str, raw: str, token: str, bodies: list[dict], field: str) -> None:
    """API and baseline succeed alike on like inputs (each its own order number)."""
    answers = []
    for target, body, suffix in ((api, bodies[0], "api"), (raw, bodies[1], "raw")):
        text = json.dumps(body).replace("@N@", f"check-{suffix}-{datetime.now(UTC).timestamp()}")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        r = httpx.post(target, content=text, headers=headers)
        if r.status_code != 200:
            raise SystemExit(f"{field} failed on {target}: {r.status_code} {r.text[:500]}")
        answers.append(r.json()["data"][field])
    strip = [{k: v for k, v in a.items() if k not in ("order", "redemption")} for a in answers]
    inner = [a.get("order") or a.get("redemption") or {} for a in answers]
    for a in inner:
        a.pop("externalId", None)
        a.pop("code", None)
    if strip[0] != strip[1] or inner[0] != inner[1] or "Success" not in strip[0]["__typename"]:
        raise SystemExit(f"{field}: the baseline answers differently:\n{answers}")


# orderCreate's statements for one paid POS order of a member (as bench.raw runs them),
# for pgbench: a random odd member id 2k+1, k in [lo, hi] (even members are home's) and a
# random order number per transaction.
PGBENCH = r"""\set m 2 * random(:lo, :hi) + 1
\set r random(1, 1000000000000)
SELECT id FROM orders WHERE partner_id = :partner AND external_id = 'pgb-' || :r;
SELECT id FROM stores WHERE code = 'SH01';
SELECT m.id AS member, m.tier_id AS tier FROM cards c JOIN members m ON m.id = c.member_id
  WHERE c.number = '8' || lpad(:m::text, 15, '0') AND m.status = 'ACTIVE' \gset
BEGIN;
SAVEPOINT s;
INSERT INTO orders (external_id, channel, paid_at, total_paid_fen, refunded_fen, points_earned,
  points_redeemed, points_reversed, status, coupon_codes, request_hash, created_at, member_id,
  partner_id, store_id) VALUES ('pgb-' || :r, 'POS', now(), 12300, 0, 0, 0, 0, 'PAID', '[]',
  md5(:r::text), now(), :member, :partner, (SELECT id FROM stores WHERE code = 'SH01'))
  RETURNING id AS order_id \gset
RELEASE SAVEPOINT s;
SELECT id, sku, category_path, excluded_from_points FROM products WHERE sku = ANY('{690000000001}');
INSERT INTO order_lines (sku, quantity, unit_price_fen, discount_fen, refunded_quantity, order_id,
  product_id) VALUES ('690000000001', 2, 6150, 0, 0, :order_id, NULL);
SELECT id, balance, pending FROM points_accounts WHERE member_id = :member FOR UPDATE;
SELECT code, points_multiplier_pct FROM tiers WHERE id = :tier;
SELECT points_per_yuan, daily_cap, excluded_categories, excluded_skus FROM earn_rules WHERE id = 1;
SELECT id, name, multiplier_pct, weekdays FROM points_campaigns
  WHERE active AND starts_on <= current_date AND ends_on >= current_date;
SELECT COALESCE(SUM(points_earned), 0) FROM orders
  WHERE member_id = :member AND paid_at >= current_date AND paid_at < current_date + 1;
INSERT INTO ledger_entries (kind, points, reason, breakdown, actor, expires_at, created_at,
  member_id, order_id) VALUES ('EARN', 123, 'pgbench', '{}', 'pgbench', now() + interval '1 year',
  now(), :member, :order_id) RETURNING id AS entry \gset
INSERT INTO points_lots (points, remaining, available_at, released_at, expires_at, created_at,
  entry_id, member_id, order_id) VALUES (123, 123, now() + interval '7 days', NULL,
  now() + interval '1 year', now(), :entry, :member, :order_id);
UPDATE points_accounts SET pending = pending + 123, updated_at = now() WHERE member_id = :member;
UPDATE orders SET points_earned = 123, points_redeemed = 0 WHERE id = :order_id;
DELETE FROM member_tags WHERE member_id = :member AND tag = 'new';
INSERT INTO outbox_events (topic, payload, created_at)
  VALUES ('order.created', jsonb_build_object('order_id', :order_id, 'member_id', :member), now());
COMMIT;
SELECT o.external_id, o.points_earned FROM orders o LEFT JOIN stores s ON s.id = o.store_id
  WHERE o.id = :order_id;
"""


def pgbench(script: Path, lo: int, hi: int, partner: int, a) -> dict:
    """orderCreate's SQL under pgbench: ``--connections`` clients for ``--duration`` s."""
    script.write_text(PGBENCH)
    argv = ["pgbench", "-n", "-f", str(script), "-T", str(int(a.duration))]
    argv += [
        "-c",
        str(a.connections),
        "-j",
        "2",
        "-D",
        f"lo={lo // 2}",
        "-D",
        f"hi={(hi - 1) // 2}",
    ]
    argv += ["-D", f"partner={partner}", "-r", url(DB)]
    out = subprocess.run(argv, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"pgbench failed:\n{out.stderr[-3000:]}")
    tps = float(re.search(r"tps = ([\d.]+)", out.stdout).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", out.stdout).group(1))
    result = {"rps": round(tps, 1), "latency_avg_ms": latency}
    print(f"  {'pgbench':16} {result}", flush=True)
    return result
