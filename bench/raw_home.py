"""The raw baseline for member home: Starlette + asyncpg, the same SQL the GraphQL path
runs (one round trip per query, as it does), the same JSON shape, the same token check
(EdDSA JWT with the platform's public key) and the same scan code. No ORM, no GraphQL,
no middleware. Served with the write baselines by ``bench.raw`` (two uvicorn workers).

Environment: ``RAW_DSN`` (asyncpg), ``RAW_JWT_KEY`` (PEM public key), ``RAW_AUDIENCE``,
``RAW_SCAN_KEY`` (the scan-code HMAC key), ``RAW_SCAN_TTL`` (seconds).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse

KEY = os.environ.get("RAW_JWT_KEY", "")
AUDIENCES = os.environ.get("RAW_AUDIENCE", "loyalty-api").split(",")  # any of them
SCAN_KEY = os.environ.get("RAW_SCAN_KEY", "").encode()
SCAN_TTL = int(os.environ.get("RAW_SCAN_TTL", "60"))
pool: asyncpg.Pool | None = None


@asynccontextmanager
async def lifespan(_app):
    global pool
    pool = await asyncpg.create_pool(os.environ["RAW_DSN"], min_size=2, max_size=10)
    yield
    await pool.close()


def scan_code(number: str, now: datetime) -> tuple[str, datetime]:
    """As ``domain.members.model.make_scan_code``: number + expiry + a 10-digit HMAC."""
    expires = now + timedelta(seconds=SCAN_TTL)
    payload = f"{number}{int(expires.timestamp()):010d}"
    digest = hmac.new(SCAN_KEY, f"scan\x00{payload}".encode(), hashlib.sha256).digest()
    return f"{payload}{int.from_bytes(digest[:8], 'big') % 10**10:010d}", expires


def caller(request: Request) -> int | None:
    """The id in the bearer token's subject (``member:42``, ``partner:7``), or None."""
    auth = request.headers.get("authorization", "")
    try:
        claims = jwt.decode(auth[7:], KEY, algorithms=["EdDSA"], audience=AUDIENCES)
        return int(str(claims["sub"]).split(":")[1])
    except (jwt.PyJWTError, KeyError, ValueError, IndexError):
        return None


UNAUTHORISED = JSONResponse({"error": "unauthorised"}, status_code=401)


async def home(request: Request) -> JSONResponse:
    member_id = caller(request)
    if member_id is None:
        return UNAUTHORISED
    now = datetime.now(UTC)
    assert pool is not None
    async with pool.acquire() as c:
        m = await c.fetchrow(
            "SELECT id, display_name, tier_id FROM members WHERE id = $1 AND status = 'ACTIVE'",
            member_id,
        )
        if m is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        ladder = await c.fetch(
            "SELECT id, code, name, rank, threshold_fen FROM tiers ORDER BY rank"
        )
        acct = await c.fetchrow(
            "SELECT balance, pending FROM points_accounts WHERE member_id = $1", member_id
        )
        coupons = await c.fetch(
            "SELECT c.code, t.name, t.kind, t.threshold_fen, t.value_fen, c.valid_until "
            "FROM coupons c JOIN coupon_templates t ON t.id = c.template_id "
            "WHERE c.member_id = $1 AND c.status = 'ACTIVE' AND c.valid_until > $2 "
            "ORDER BY c.id DESC LIMIT 11",
            member_id,
            now,
        )
        card = await c.fetchrow("SELECT number, status FROM cards WHERE member_id = $1", member_id)
        state = await c.fetchrow(
            "SELECT review_at FROM tier_states WHERE member_id = $1", member_id
        )
        spend = await c.fetchval(
            "SELECT COALESCE(SUM(total_paid_fen - refunded_fen), 0)::bigint FROM orders "
            "WHERE member_id = $1 AND paid_at > $2",
            member_id,
            now - timedelta(days=365),
        )
        lots = await c.fetch(  # the member's lots with points left, as the service reads them
            "SELECT remaining, available_at, expires_at, released_at FROM points_lots "
            "WHERE member_id = $1 AND remaining > 0 ORDER BY available_at, id",
            member_id,
        )
    until = now + timedelta(days=30)
    expiring: dict[datetime, int] = {}
    for lot in sorted(lots, key=lambda lot: lot["expires_at"]):  # as the service groups them
        if lot["released_at"] is not None and lot["expires_at"] <= until:
            expiring[lot["expires_at"]] = expiring.get(lot["expires_at"], 0) + lot["remaining"]
    tiers = {t["id"]: t for t in ladder}
    current = tiers.get(m["tier_id"])
    # as domain.tiers.model.progress: the next goal is the lowest rung above not reached
    # yet; the base rung is never reviewed and has nothing to keep
    ahead = [
        t for t in ladder if current and t["rank"] > current["rank"] and t["threshold_fen"] > spend
    ]
    nxt = min(ahead, key=lambda t: t["rank"]) if ahead else None
    base = (
        bool(ladder) and current is not None and current["rank"] == min(t["rank"] for t in ladder)
    )
    code, expires = scan_code(card["number"], now) if card else (None, None)
    return JSONResponse(
        {
            "data": {
                "me": {
                    "displayName": m["display_name"],
                    "card": card
                    and {
                        "number": card["number"],
                        "status": card["status"],
                        "scanCode": {"code": code, "expiresAt": expires.isoformat()},
                    },
                    "tier": current and {"code": current["code"], "name": current["name"]},
                    "tierProgress": current
                    and {
                        "current": {"code": current["code"]},
                        "next": nxt and {"code": nxt["code"], "name": nxt["name"]},
                        "qualifyingSpendFen": spend,
                        "spendToNextFen": nxt["threshold_fen"] - spend if nxt else 0,
                        "spendToKeepFen": 0 if base else max(0, current["threshold_fen"] - spend),
                        "reviewAt": None if base else state and state["review_at"].isoformat(),
                    },
                    "points": {
                        "balance": acct["balance"] if acct else 0,
                        "pending": acct["pending"] if acct else 0,
                        "expiring": [
                            {"points": points, "at": at.isoformat()}
                            for at, points in expiring.items()
                        ],
                    },
                    "coupons": {
                        "edges": [
                            {
                                "node": {
                                    "code": r["code"],
                                    "name": r["name"],
                                    "description": f"满{r['threshold_fen'] // 100}减"
                                    f"{r['value_fen'] // 100}, "
                                    f"{r['valid_until'].date().isoformat()} 前有效",
                                    "validUntil": r["valid_until"].isoformat(),
                                }
                            }
                            for r in coupons[:10]
                        ]
                    },
                }
            }
        }
    )
