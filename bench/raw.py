"""The raw baselines' app: member home (``bench.raw_home``), the feed
(``bench.raw_feed``), orderCreate's earning and couponRedeem — Starlette + asyncpg, the
statements the API runs (the same transactions and savepoint, the same row lock and
conditional update), the same token check and the same JSON; no ORM, no GraphQL, no
middleware. The earning arithmetic is the domain's own pure function
(``domain.points.model.compute_earn``), so both answer the same points.

    python -m bench.raw PORT    (started by ``python -m bench.run``: two workers, served
                                 like the API, by ``serving.serve_http``)

Both write endpoints take the GraphQL request body (``variables.in``) the API takes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench import raw_feed, raw_home
from bench.raw_home import UNAUTHORISED, caller
from domain.points.model import Line, Rules, business_day, compute_earn, lot_expiry

SHANGHAI_DAY = timedelta(days=1)
PENDING_DAYS, EXPIRY_EXTRA_YEARS = 7, 1  # the settings' defaults, which the bench API runs


def _answer(field: str, payload: dict) -> JSONResponse:
    return JSONResponse({"data": {field: payload}})


async def earn(request: Request) -> JSONResponse:
    partner = caller(request)
    if partner is None:
        return UNAUTHORISED
    o = (await request.json())["variables"]["in"]
    paid_at = datetime.fromisoformat(o["paidAt"]).astimezone(UTC)
    lines = o["lines"]
    digest = hashlib.sha256(json.dumps(o, sort_keys=True).encode()).hexdigest()
    now = datetime.now(UTC)
    assert raw_home.pool is not None
    async with raw_home.pool.acquire() as c:
        if await c.fetchval(
            "SELECT id FROM orders WHERE partner_id = $1 AND external_id = $2",
            partner,
            o["externalId"],
        ):
            return _answer("orderCreate", {"__typename": "ConflictError"})
        store = await c.fetchval("SELECT id FROM stores WHERE code = $1", o["storeCode"])
        member = await c.fetchrow(
            "SELECT m.id, m.tier_id FROM cards c JOIN members m ON m.id = c.member_id "
            "WHERE c.number = $1 AND m.status = 'ACTIVE'",
            o["member"]["cardNumber"],
        )
        async with c.transaction():
            async with c.transaction():  # the savepoint a concurrent duplicate fails alone
                order = await c.fetchval(
                    "INSERT INTO orders (external_id, channel, paid_at, total_paid_fen, "
                    "refunded_fen, points_earned, points_redeemed, points_reversed, status, "
                    "coupon_codes, request_hash, created_at, member_id, partner_id, store_id) "
                    "VALUES ($1, $2, $3, $4, 0, 0, 0, 0, 'PAID', '[]', $5, $6, $7, $8, $9) "
                    "RETURNING id",
                    o["externalId"],
                    o["channel"],
                    paid_at,
                    o["totalPaidFen"],
                    digest,
                    now,
                    member["id"],
                    partner,
                    store,
                )
            skus = [ln["sku"] for ln in lines]
            products = {
                r["sku"]: r
                for r in await c.fetch(
                    "SELECT id, sku, category_path, excluded_from_points FROM products "
                    "WHERE sku = ANY($1)",
                    skus,
                )
            }
            await c.executemany(
                "INSERT INTO order_lines (sku, quantity, unit_price_fen, discount_fen, "
                "refunded_quantity, order_id, product_id) VALUES ($1, $2, $3, $4, 0, $5, $6)",
                [
                    (
                        ln["sku"],
                        ln["quantity"],
                        ln["unitPriceFen"],
                        ln.get("discountFen", 0),
                        order,
                        products[ln["sku"]]["id"] if ln["sku"] in products else None,
                    )
                    for ln in lines
                ],
            )
            acct = await c.fetchrow(
                "SELECT id, balance, pending FROM points_accounts WHERE member_id = $1 FOR UPDATE",
                member["id"],
            )
            tier = await c.fetchrow(
                "SELECT code, points_multiplier_pct FROM tiers WHERE id = $1", member["tier_id"]
            )
            rules = await c.fetchrow(
                "SELECT points_per_yuan, daily_cap, excluded_categories, excluded_skus "
                "FROM earn_rules WHERE id = 1"
            )
            day = business_day(paid_at)
            await c.fetch(
                "SELECT id, name, multiplier_pct, weekdays FROM points_campaigns "
                "WHERE active AND starts_on <= $1 AND ends_on >= $1",
                day,
            )
            start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) - timedelta(hours=8)
            earned_today = await c.fetchval(
                "SELECT COALESCE(SUM(points_earned), 0) FROM orders "
                "WHERE member_id = $1 AND paid_at >= $2 AND paid_at < $3",
                member["id"],
                start,
                start + SHANGHAI_DAY,
            )
            earned = compute_earn(
                order_ref=o["externalId"],
                lines=[
                    Line(
                        sku=ln["sku"],
                        category_path=products[ln["sku"]]["category_path"]
                        if ln["sku"] in products
                        else "",
                        quantity=ln["quantity"],
                        unit_price_fen=ln["unitPriceFen"],
                        discount_fen=ln.get("discountFen", 0),
                    )
                    for ln in lines
                ],
                paid_fen=o["totalPaidFen"],
                day=day,
                rules=Rules(
                    points_per_yuan=rules["points_per_yuan"] if rules else 1,
                    daily_cap=rules["daily_cap"] if rules else None,
                ),
                tier_name=tier["code"] if tier else "",
                tier_pct=tier["points_multiplier_pct"] if tier else 100,
                campaigns=[],
                earned_today=earned_today,
            )
            entry = await c.fetchval(
                "INSERT INTO ledger_entries (kind, points, reason, breakdown, actor, expires_at, "
                "created_at, member_id, order_id) VALUES ('EARN', $1, $2, $3, $4, $5, $6, $7, $8) "
                "RETURNING id",
                earned.points,
                earned.reason,
                json.dumps(earned.breakdown),
                f"partner:{partner}",
                lot_expiry(paid_at, EXPIRY_EXTRA_YEARS),
                now,
                member["id"],
                order,
            )
            await c.execute(
                "INSERT INTO points_lots (points, remaining, available_at, released_at, "
                "expires_at, created_at, entry_id, member_id, order_id) "
                "VALUES ($1, $1, $2, NULL, $3, $4, $5, $6, $7)",
                earned.points,
                paid_at + timedelta(days=PENDING_DAYS),
                lot_expiry(paid_at, EXPIRY_EXTRA_YEARS),
                now,
                entry,
                member["id"],
                order,
            )
            await c.execute(
                "UPDATE points_accounts SET pending = pending + $1, updated_at = $2 WHERE id = $3",
                earned.points,
                now,
                acct["id"],
            )
            await c.execute(
                "UPDATE orders SET points_earned = $1, points_redeemed = 0 WHERE id = $2",
                earned.points,
                order,
            )
            await c.execute(
                "DELETE FROM member_tags WHERE member_id = $1 AND tag = 'new'", member["id"]
            )
            await c.execute(
                "INSERT INTO outbox_events (topic, payload, created_at) "
                "VALUES ('order.created', $1, $2)",
                json.dumps({"order_id": order, "member_id": member["id"]}),
                now,
            )
        row = await c.fetchrow(
            "SELECT o.external_id, o.points_earned FROM orders o "
            "LEFT JOIN stores s ON s.id = o.store_id WHERE o.id = $1",
            order,
        )
    return _answer(
        "orderCreate",
        {
            "__typename": "OrderCreateSuccess",
            "replayed": False,
            "order": {"externalId": row["external_id"], "pointsEarned": row["points_earned"]},
        },
    )


async def redeem(request: Request) -> JSONResponse:
    partner = caller(request)
    if partner is None:
        return UNAUTHORISED
    r = (await request.json())["variables"]["in"]
    code, ref = r["code"], r["orderExternalId"]
    subtotal = sum(ln["quantity"] * ln["unitPriceFen"] for ln in r["order"]["lines"])
    now = datetime.now(UTC)
    used = {"couponRedeem": {"__typename": "CouponAlreadyRedeemedError", "code": "CONFLICT"}}
    assert raw_home.pool is not None
    async with raw_home.pool.acquire() as c:
        coupon = await c.fetchrow("SELECT id, status FROM coupons WHERE code = $1", code)
        if coupon is None or coupon["status"] == "USED":
            return JSONResponse({"data": used})
        await c.fetch(
            "SELECT sku, category_path FROM products WHERE sku = ANY($1)",
            [ln["sku"] for ln in r["order"]["lines"]],
        )
        async with c.transaction():
            held = await c.fetchrow(
                "SELECT id, status, member_id, template_id, valid_from, valid_until, value_fen "
                "FROM coupons WHERE id = $1 FOR UPDATE",
                coupon["id"],
            )
            t = await c.fetchrow(
                "SELECT threshold_fen, value_fen, budget_left_fen FROM coupon_templates "
                "WHERE id = $1",
                held["template_id"],
            )
            tier = await c.fetchval(
                "SELECT t.code FROM members m JOIN tiers t ON t.id = m.tier_id WHERE m.id = $1",
                held["member_id"],
            )
            if held["status"] != "ACTIVE" or subtotal < t["threshold_fen"] or tier is None:
                return JSONResponse({"data": used})
            discount = held["value_fen"] or t["value_fen"]
            done = await c.execute(
                "UPDATE coupons SET status = 'USED' WHERE id = $1 AND status = 'ACTIVE'", held["id"]
            )
            if done != "UPDATE 1":
                return JSONResponse({"data": used})
            await c.execute(
                "UPDATE coupon_templates SET discount_given_fen = discount_given_fen + $1 "
                "WHERE id = $2",
                discount,
                held["template_id"],
            )
            await c.fetchrow(
                "SELECT id FROM coupon_redemptions WHERE coupon_id = $1 AND partner_id = $2 "
                "AND order_external_id = $3",
                held["id"],
                partner,
                ref,
            )
            await c.execute(
                "INSERT INTO coupon_redemptions (order_external_id, discount_fen, status, "
                "redeemed_at, coupon_id, member_id, partner_id) "
                "VALUES ($1, $2, 'REDEEMED', $3, $4, $5, $6)",
                ref,
                discount,
                now,
                held["id"],
                held["member_id"],
                partner,
            )
    return _answer(
        "couponRedeem",
        {
            "__typename": "CouponRedeemSuccess",
            "replayed": False,
            "redemption": {"code": code, "discountFen": discount},
        },
    )


app = Starlette(
    routes=[
        Route("/home", raw_home.home, methods=["POST"]),
        Route("/feed", raw_feed.feed, methods=["POST"]),
        Route("/earn", earn, methods=["POST"]),
        Route("/redeem", redeem, methods=["POST"]),
    ],
    lifespan=raw_home.lifespan,
)


if __name__ == "__main__":
    import sys

    from serving import serve_http

    sys.exit(serve_http("127.0.0.1", int(sys.argv[1]), 2, app="bench.raw:app"))
