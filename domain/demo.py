"""Demo data for the embedded default: a small but realistic supermarket chain.

Deterministic (seeded), loaded once into an empty database. Members shop at a home store with their
own rhythm (some weekly, some monthly), re-buy their staples (milk, eggs, rice...) and add a few
impulse items, so repeat-purchase analytics and recommendations have something real to find.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from domain import clock
from domain.catalog.tables import Product
from domain.config import ConfigError, Settings
from domain.coupons.issuing import issue_to
from domain.coupons.tables import CouponTemplate
from domain.coupons.templates import template_by_code
from domain.db import in_transaction
from domain.demo_constants import (
    DEMO_MEMBER_PHONE,
    DEMO_PARTNER_CLIENT_ID,
    DEMO_PARTNER_SCOPES,
    DEMO_SIGN_IN_CODE,
    DEMO_STAFF_PASSWORD,
)
from domain.demo_data import (
    CATALOGUE,
    COMPLEMENTS,
    COUPONS,
    EXCLUDED_FROM_POINTS,
    PRIZES,
    REGIONS,
    REWARDS,
    STAFF,
    STORES,
    TIERS,
)
from domain.demo_orders import Shopper, plan_orders
from domain.feeds import rebuild as feeds_rebuild
from domain.members.model import new_card_number
from domain.members.store import PHONE_CONTEXT, personal_fields
from domain.members.tables import Card, Member
from domain.orders.tables import Order, OrderLine
from domain.org.services import create_staff
from domain.org.tables import Region, Store
from domain.partners.services import create_partner
from domain.points.model import Kind, lot_expiry
from domain.points.tables import (
    EarnRules,
    LedgerEntry,
    PointsAccount,
    PointsCampaign,
    PointsLot,
    Reward,
)
from domain.runtime import Runtime
from domain.tiers import batch as tier_batch
from domain.tiers.tables import Tier


async def is_loaded() -> bool:
    return await Region.exists()


def refuse_in_production(settings: Settings) -> None:
    """The demo chain has an admin whose password is in the README and a partner with
    every scope: it never goes into a production database."""
    if settings.production:
        raise ConfigError(
            "demo data is refused when APP_ENV=production (its staff passwords are published); "
            "create real accounts with `loyalty staff-create` and `loyalty partner-create`"
        )


async def load(
    rt: Runtime,
    *,
    members: int = 300,
    orders: int = 5_000,
    months: int = 18,
    credentials_path: Path | None = None,
    progress: Callable[[str], None] = print,
) -> dict:
    """Load the demo chain into an empty database; returns the demo credentials."""
    refuse_in_production(rt.settings)
    rnd = random.Random(rt.settings.demo_seed)
    now = clock.now()
    async with in_transaction():
        regions = {code: await Region.create(code=code, name=name) for code, name in REGIONS}
        stores = [
            await Store.create(code=c, name=n, region=regions[r], channel=ch)
            for c, n, r, ch in STORES
        ]
        tiers = [
            await Tier.create(
                code=c, name=n, rank=rk, threshold_fen=t, points_multiplier_pct=m, benefits=b
            )
            for c, n, rk, t, m, b in TIERS
        ]
        for code, name, kind, threshold, value, pct, days, extra in COUPONS:
            await CouponTemplate.create(
                code=code,
                name=name,
                kind=kind,
                threshold_fen=threshold,
                value_fen=value,
                percent_off=pct,
                validity_days=days,
                stock_left=extra.get("total_stock"),
                created_at=now,
                **extra,
            )
        products = await _load_products(rnd)
        progress(f"catalogue: {len(products)} SKUs in {len(CATALOGUE)} categories")
        member_rows = await _load_members(rt, rnd, members, stores, tiers, now, months)
        progress(f"members: {len(member_rows)} (test phone {DEMO_MEMBER_PHONE})")
        count = await _load_orders(rnd, orders, member_rows, stores, products, now, months)
        progress(f"orders: {count} over {months} months")
        credited = await _load_points(rt, now)
        progress(f"points: {credited} ledger entries; rewards and a Wednesday member day")
        demo = await Member.get(phone_hash=rt.phone_index(DEMO_MEMBER_PHONE))
        for code in ("CPN-50-10", "FREE-DELIVERY"):
            await issue_to(await template_by_code(code), demo.id, source="STAFF", source_ref="demo")
        progress(f"coupons: {len(COUPONS)} templates, two coupons for the demo member")
    progress(f"tiers: {await tier_batch.place_all(rt.settings, detail='demo')} members moved up")
    feed = await feeds_rebuild.rebuild_now(rt.settings, progress=lambda _m: None)
    progress(f"feeds: read model built, {feed['members_done']} member feeds")
    staff = []
    for email, name, role, region, store in STAFF:
        await create_staff(
            email,
            DEMO_STAFF_PASSWORD,
            role.value,
            display_name=name,
            region_code=region,
            store_code=store,
        )
        staff.append(
            {
                "email": email,
                "password": DEMO_STAFF_PASSWORD,
                "role": role.value,
                "region": region,
                "store": store,
            }
        )
    secret = secrets.token_urlsafe(24)
    app, _ = await create_partner(
        "演示门店 POS", list(DEMO_PARTNER_SCOPES), client_id=DEMO_PARTNER_CLIENT_ID, secret=secret
    )
    creds = {
        "member": {"phone": DEMO_MEMBER_PHONE, "code": DEMO_SIGN_IN_CODE},
        "partner": {
            "clientId": app.client_id,
            "clientSecret": secret,
            "scopes": list(DEMO_PARTNER_SCOPES),
            "tokenUrl": "/oauth/token",
        },
        "staff": staff,
    }
    if credentials_path:
        await asyncio.to_thread(_write_private, credentials_path, creds)
    return creds


def _write_private(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    path.chmod(0o600)


async def _load_products(rnd: random.Random) -> list[Product]:
    rows = []
    n = 0
    for path, (items, (lo, hi), _staple) in CATALOGUE.items():
        for name in items:
            n += 1
            brand = name.split(" ")[0] if " " in name else ""
            price = round(rnd.uniform(lo, hi), 1)
            rows.append(
                Product(
                    sku=f"69{n:06d}",
                    name=name,
                    category_path=path,
                    brand=brand,
                    price_fen=int(price * 100),
                    excluded_from_points=path in EXCLUDED_FROM_POINTS,
                )
            )
    # a second pack size of the everyday staples brings the catalogue to ~200 SKUs
    for path, (items, (lo, hi), staple) in CATALOGUE.items():
        if not staple:
            continue
        for name in items[:4]:
            n += 1
            rows.append(
                Product(
                    sku=f"69{n:06d}",
                    name=f"{name}（家庭装）",
                    category_path=path,
                    price_fen=round(rnd.uniform(lo, hi) * 180),
                    excluded_from_points=path in EXCLUDED_FROM_POINTS,
                )
            )
    await Product.bulk_create(rows, batch_size=500)
    return await Product.all().order_by("id")


async def _load_members(rt, rnd, count, stores, tiers, now, months) -> list[Member]:
    phones = {DEMO_MEMBER_PHONE}
    while len(phones) < count:
        prefix = rnd.choice(["138", "139", "150", "151", "186", "188", "135", "177", "199"])
        phones.add(f"+86{prefix}{rnd.randrange(10**8):08d}")
    rows = []
    for i, phone in enumerate(sorted(phones)):
        rows.append(
            Member(
                phone_hash=rt.phone_index(phone),
                phone_enc=rt.cipher.encrypt(phone, context=PHONE_CONTEXT),
                display_name="演示会员" if phone == DEMO_MEMBER_PHONE else f"会员{i + 1:03d}",
                registration_channel=rnd.choice(
                    ["STORE", "STORE", "MINI_PROGRAM", "APP", "ECOMMERCE"]
                ),
                gender=rnd.choice(["MALE", "FEMALE", "UNKNOWN"]),
                home_store=(home := rnd.choice(stores)),
                region_id=home.region_id,
                tier=tiers[0],
                created_at=now - timedelta(days=rnd.randint(1, months * 31)),
                **personal_fields(
                    rt,
                    birthday=date(rnd.randint(1950, 2005), rnd.randint(1, 12), rnd.randint(1, 28)),
                ),
            )
        )
    await Member.bulk_create(rows, batch_size=500)
    saved = await Member.all().order_by("id")
    numbers: set[str] = set()
    while len(numbers) < len(saved):
        numbers.add(new_card_number())
    await Card.bulk_create(
        [
            Card(member_id=m.id, number=n, issued_at=m.created_at, status_changed_at=m.created_at)
            for m, n in zip(saved, sorted(numbers), strict=True)
        ],
        batch_size=500,
    )
    return saved


async def _load_orders(rnd, target, member_rows, stores, products, now, months) -> int:
    staples_pool = [i for i, p in enumerate(products) if CATALOGUE[p.category_path][2]]
    shoppers = [
        Shopper(
            member_id=m.id,
            store_id=m.home_store_id,
            every_days=rnd.choice([4, 7, 7, 10, 14, 21, 30, 45]) * rnd.uniform(0.8, 1.3),
            staples=rnd.sample(staples_pool, rnd.randint(3, 7)),
            basket=(1, rnd.randint(2, 5)),
        )
        for m in member_rows
    ]
    index = {p.name: i for i, p in enumerate(products)}
    complements = {
        index[name]: [(index[other], chance) for other in others]
        for name, others, chance in COMPLEMENTS
    }
    rhythm = random.Random(f"{rnd.random()}-rhythms")  # the planted rhythms' own stream
    planned = plan_orders(
        rnd,
        rhythm,
        target,
        shoppers,
        [s.id for s in stores],
        len(products),
        complements,
        now,
        months * 30,
    )
    code = {s.id: s.code for s in stores}
    channel = {s.id: s.channel for s in stores}
    orders: list[Order] = []
    basket_of: dict[str, list[tuple[int, int]]] = {}
    for serial, o in enumerate(planned, start=1):
        ext = f"{code[o.store_id]}{o.paid_at.strftime('%Y%m%d')}{serial:06d}"
        orders.append(
            Order(
                external_id=ext,
                channel="ECOMMERCE" if channel[o.store_id] == "ECOMMERCE" else "POS",
                store_id=o.store_id,
                member_id=o.member_id,
                paid_at=o.paid_at,
                total_paid_fen=sum(products[p].price_fen * q for p, q in o.lines),
                created_at=o.paid_at,
            )
        )
        basket_of[ext] = o.lines
    await Order.bulk_create(orders, batch_size=1000)
    ids = dict(await Order.all().values_list("external_id", "id"))
    order_lines = [
        OrderLine(
            order_id=ids[ext],
            product_id=products[p].id,
            sku=products[p].sku,
            quantity=q,
            unit_price_fen=products[p].price_fen,
        )
        for ext, lines in basket_of.items()
        for p, q in lines
    ]
    await OrderLine.bulk_create(order_lines, batch_size=2000)
    return len(orders)


async def _load_points(rt: Runtime, now) -> int:
    """Points for the demo members' orders (1 per yuan), written in bulk as the ledger
    would have: an EARN entry and a lot per order, pending for the last 7 days."""
    s = rt.settings
    orders = await Order.filter(member_id__not_isnull=True).order_by("id")
    earned = [(o, o.total_paid_fen // 100) for o in orders if o.total_paid_fen >= 100]
    await LedgerEntry.bulk_create(
        [
            LedgerEntry(
                member_id=o.member_id,
                kind=Kind.EARN.value,
                points=pts,
                reason=f"订单 {o.external_id} 消费 ¥{o.total_paid_fen / 100:.2f} 积分",
                breakdown={"paidFen": o.total_paid_fen, "pointsPerYuan": 1},
                order_id=o.id,
                actor="system",
                expires_at=lot_expiry(o.paid_at, s.points_expiry_extra_years),
                created_at=o.paid_at,
            )
            for o, pts in earned
        ],
        batch_size=1000,
    )
    entry_of = dict(await LedgerEntry.filter(kind="EARN").values_list("order_id", "id"))
    lots: list[PointsLot] = []
    totals: dict[int | None, tuple[int, int]] = {}  # member id -> (balance, pending)
    for o, pts in earned:
        available = o.paid_at + timedelta(days=s.points_pending_days)
        released = available <= now
        lots.append(
            PointsLot(
                member_id=o.member_id,
                entry_id=entry_of[o.id],
                order_id=o.id,
                points=pts,
                remaining=pts,
                available_at=available,
                released_at=available if released else None,
                expires_at=lot_expiry(o.paid_at, s.points_expiry_extra_years),
                created_at=o.paid_at,
            )
        )
        bal, pend = totals.get(o.member_id, (0, 0))
        totals[o.member_id] = (bal + pts, pend) if released else (bal, pend + pts)
        o.points_earned = pts
    await PointsLot.bulk_create(lots, batch_size=1000)
    await Order.bulk_update([o for o, _ in earned], fields=["points_earned"], batch_size=1000)
    await PointsAccount.bulk_create(
        [
            PointsAccount(member_id=m, balance=b, pending=p, updated_at=now)
            for m, (b, p) in totals.items()
        ],
        batch_size=1000,
    )
    await EarnRules.create(id=1, points_per_yuan=1, updated_at=now, updated_by="demo")
    today = clock.business_date(now)
    await PointsCampaign.create(
        name="会员日双倍积分",
        multiplier_pct=200,
        starts_on=today,
        ends_on=today.replace(year=today.year + 1),
        weekdays=[3],
        created_at=now,
    )
    for code, name, kind, cost, stock, limit in REWARDS:
        await Reward.create(
            code=code,
            name=name,
            kind=kind,
            points_cost=cost,
            stock=stock,
            per_member_limit=limit,
            coupon_template_code="CPN-50-10" if kind == "COUPON" else None,
            prizes=[
                {"name": p, "weight": w, "couponTemplate": t} for r, p, w, t in PRIZES if r == code
            ],
        )
    return len(earned)
