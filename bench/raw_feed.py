"""The raw baseline for the feed read (``me { feed(first: 20) }``): Starlette + asyncpg,
the statements the GraphQL path runs for an uncached read (one round trip each, as it
does: the member, the read-model row with the member's signals, the home store, the
popularity, the products, then the offers' lots, campaigns, claimable templates, tier and
coupons held — 10), the same ranking and the same JSON. No ORM, no GraphQL, no middleware, and no
cache: every request reads the read model, the signals and the offers again.

The ranking is the production code's own pure functions — ``engine.blend`` and
``engine.diversify``, ``ranking.visible`` / ``slot_offers`` / ``window``, the reasons of
``explain``, the coupon description of ``domain.coupons.templates.describe`` — so the
baseline does the same work minus the ORM, the GraphQL execution and the cache.
Mounted by ``bench.raw`` at ``/feed``.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bench import raw_home
from bench.raw_home import UNAUTHORISED, caller
from domain.coupons.model import DESCRIBED
from domain.coupons.templates import describe
from domain.feeds import engine, explain
from domain.feeds.model import (
    PERSONAL_KINDS,
    PRODUCT_KINDS,
    FeedKind,
    MemberModel,
    PopularityScope,
)
from domain.feeds.ranking import category_of, slot_offers, visible, window
from domain.points.model import last_usable_day

PARAMS = engine.EngineParams()  # the settings' defaults, which the bench API runs
CATEGORY_CAP, NOTICE_DAYS, FIRST = 2, 30, 20
SHANGHAI = timedelta(hours=8)


STATE = """SELECT 'r' AS k, doc AS t, version AS n, NULL AS at FROM feed_members
  WHERE member_id = $1
UNION ALL SELECT 'd', item_key, 0, until FROM feed_dismissals WHERE member_id = $1
UNION ALL SELECT 'm', category, 0, NULL FROM feed_mutes WHERE member_id = $1
UNION ALL SELECT 'p', '', CASE WHEN personalised THEN 1 ELSE 0 END, NULL
  FROM feed_preferences WHERE member_id = $1"""


def gid(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def cursor(position: int, key: str) -> str:
    raw = f"feed:{position}:{key}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def feed(request: Request) -> Response:
    member_id = caller(request)
    if member_id is None:
        return UNAUTHORISED
    now = datetime.now(UTC)
    today = (now + SHANGHAI).date()
    assert raw_home.pool is not None
    async with raw_home.pool.acquire() as c:
        m = await c.fetchrow(
            "SELECT id, home_store_id FROM members WHERE id = $1 AND status = 'ACTIVE'",
            member_id,
        )
        if m is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        state = await c.fetch(STATE, member_id)  # the read-model row and the signals
        doc_text = next((r["t"] for r in state if r["k"] == "r"), None)
        gone = frozenset(r["t"] for r in state if r["k"] == "d" and r["at"] > now)
        muted = sorted(r["t"] for r in state if r["k"] == "m")
        personalised = next((bool(r["n"]) for r in state if r["k"] == "p"), True)
        scopes: list[tuple[PopularityScope, int]] = []
        if m["home_store_id"] is not None:
            scopes.append((PopularityScope.STORE, m["home_store_id"]))
            region = await c.fetchval(
                "SELECT region_id FROM stores WHERE id = $1", m["home_store_id"]
            )
            if region is not None:
                scopes.append((PopularityScope.REGION, region))
        scopes.append((PopularityScope.CHAIN, 0))
        pop_rows = await c.fetch(
            "SELECT scope, scope_id, product_id, score FROM feed_popularity "
            "WHERE scope = ANY($1) AND scope_id = ANY($2) AND rank <= $3 ORDER BY rank",
            sorted({s.value for s, _ in scopes}),
            sorted({i for _, i in scopes}),
            PARAMS.candidates_per_member,
        )
        found: dict[tuple[PopularityScope, int], list[tuple[int, float]]] = {k: [] for k in scopes}
        for r in pop_rows:
            key = (PopularityScope(r["scope"]), r["scope_id"])
            if key in found:
                found[key].append((r["product_id"], r["score"]))
        scope, popular = next(
            ((k[0], found[k]) for k in scopes if found[k]), (PopularityScope.CHAIN, [])
        )
        doc = MemberModel.loads(doc_text) if doc_text else MemberModel()
        cold = not (doc.candidates or doc.rhythms or doc.recent)
        ranked = engine.blend(doc, popular, today, PARAMS, personalised=personalised)
        ids = {x.product_id for x in ranked} | {
            x.ref_product_id for x in ranked if x.ref_product_id is not None
        }
        products = {
            r["id"]: r
            for r in await c.fetch(
                "SELECT id, sku, name, category_path, brand, price_fen, excluded_from_points "
                "FROM products WHERE id = ANY($1)",
                sorted(ids),
            )
        }
        lots = await c.fetch(
            "SELECT remaining, available_at, expires_at, released_at FROM points_lots "
            "WHERE member_id = $1 AND remaining > 0 ORDER BY available_at, id",
            member_id,
        )
        campaigns = await c.fetch(
            "SELECT id, name, multiplier_pct, ends_on, weekdays FROM points_campaigns "
            "WHERE active AND starts_on <= $1 AND ends_on >= $1 ORDER BY id",
            today,
        )
        templates = await c.fetch(
            "SELECT id, code, name, tiers, per_member_limit, stock_left, valid_until, "
            f"validity_days, {', '.join(DESCRIBED)} FROM coupon_templates "
            "WHERE claimable AND active AND (valid_until IS NULL OR valid_until > $1) "
            "AND (stock_left IS NULL OR stock_left > 0) ORDER BY id",
            now,
        )
        tier = await c.fetchval(
            "SELECT t.code FROM members m JOIN tiers t ON t.id = m.tier_id WHERE m.id = $1",
            member_id,
        )
        held = {
            r["template_id"]: r["n"]
            for r in await c.fetch(
                "SELECT template_id, COUNT(*) AS n FROM coupons WHERE member_id = $1 "
                "GROUP BY template_id",
                member_id,
            )
        }
        paths = {pid: p["category_path"] for pid, p in products.items()}
        kinds = PRODUCT_KINDS if personalised else PRODUCT_KINDS - PERSONAL_KINDS
        shown = visible(ranked, paths, gone, muted, kinds)
        shown = engine.diversify(
            shown, {pid: category_of(path) for pid, path in paths.items()}, CATEGORY_CAP
        )
        last_bought = {r.product_id: r.last_day for r in doc.rhythms}
        items = [_product(x, products, last_bought, scope, today) for x in shown]
        offers = _offers(lots, campaigns, templates, tier, held, now, today, cold)
        entries = slot_offers(items, [o for o in offers if o["key"] not in gone])
        start, end, more = window([e["key"] for e in entries], None, FIRST)
        page = entries[start:end]
    edges = [
        {"cursor": cursor(start + i, e["key"]), "node": _node(e, products)}
        for i, e in enumerate(page)
    ]
    body = {
        "data": {
            "me": {
                "feed": {
                    "edges": edges,
                    "pageInfo": {
                        "hasNextPage": more,
                        "endCursor": edges[-1]["cursor"] if edges else None,
                    },
                }
            }
        }
    }
    return Response(orjson.dumps(body), media_type="application/json")


def _product(x, products, last_bought, scope, today: date) -> dict:
    ref = products.get(x.ref_product_id) if x.ref_product_id is not None else None
    last = last_bought.get(x.product_id)
    reason = explain.product_reason(
        x.kind,
        ref_name=ref["name"] if ref else None,
        days_since_last=(today - last).days if last else None,
        scope=scope,
        category=products[x.product_id]["category_path"],
    )
    return {
        "key": f"product:{x.product_id}",
        "kind": x.kind,
        "reason": reason,
        "product_id": x.product_id,
    }


def _offers(lots, campaigns, templates, tier, held, now, today, cold) -> list[dict]:
    out = []
    until = now + timedelta(days=NOTICE_DAYS)
    by_time: dict[datetime, int] = {}
    for lot in sorted(lots, key=lambda lot: lot["expires_at"]):
        if lot["released_at"] is not None and lot["expires_at"] <= until:
            by_time[lot["expires_at"]] = by_time.get(lot["expires_at"], 0) + lot["remaining"]
    for at, points in by_time.items():
        day = last_usable_day(at)
        if points <= 0:
            continue
        out.append(
            {
                "key": f"points:{day.isoformat()}",
                "kind": FeedKind.POINTS_EXPIRING,
                "reason": explain.points_expiring_reason(points, day, today),
                "product_id": None,
                "x": {"points": points, "lastUsableDay": day.isoformat(), "expiresAt": at},
            }
        )
    for cp in campaigns:
        weekdays = orjson.loads(cp["weekdays"]) if isinstance(cp["weekdays"], str) else []
        if weekdays and today.isoweekday() not in weekdays:
            continue
        out.append(
            {
                "key": f"campaign:{cp['id']}",
                "kind": FeedKind.CAMPAIGN,
                "reason": explain.campaign_reason(cp["name"], cp["multiplier_pct"]),
                "product_id": None,
                "x": {
                    "name": cp["name"],
                    "multiplierPct": cp["multiplier_pct"],
                    "endsOn": cp["ends_on"].isoformat(),
                },
            }
        )
    for t in templates:
        tiers = orjson.loads(t["tiers"]) if t["tiers"] else []
        if tiers and (tier or "") not in tiers:
            continue
        limit = t["per_member_limit"]
        if limit is not None and held.get(t["id"], 0) >= limit:
            continue
        v = {k: t[k] for k in DESCRIBED}
        for k, value in v.items():
            if isinstance(value, str) and k == "ladder":
                v[k] = orjson.loads(value)
        out.append(
            {
                "key": f"coupon:{t['code']}",
                "kind": FeedKind.COUPON,
                "reason": explain.coupon_reason(t["name"], new_member=cold),
                "product_id": None,
                "x": {
                    "templateCode": t["code"],
                    "name": t["name"],
                    "couponKind": t["kind"],
                    "description": describe(v, t["valid_until"], t["validity_days"]),
                    "stockLeft": t["stock_left"],
                },
            }
        )
    return out


TYPENAME = {
    FeedKind.COUPON: "CouponOffer",
    FeedKind.CAMPAIGN: "CampaignItem",
    FeedKind.POINTS_EXPIRING: "PointsExpiringItem",
}


def _node(e: dict, products: dict) -> dict:
    node = {
        "__typename": TYPENAME.get(e["kind"], "ProductSuggestion"),
        "id": gid("FeedItem", e["key"]),
        "kind": e["kind"].value,
        "reason": e["reason"],
    }
    if e["product_id"] is None:
        x = dict(e["x"])
        if "expiresAt" in x:
            x["expiresAt"] = x["expiresAt"].isoformat()
        node.update(x)
        return node
    p = products[e["product_id"]]
    node["product"] = {
        "id": gid("Product", p["id"]),
        "sku": p["sku"],
        "name": p["name"],
        "categoryPath": p["category_path"],
        "priceFen": p["price_fen"],
    }
    return node
