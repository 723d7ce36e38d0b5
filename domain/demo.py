"""Demo data for the embedded default: a small but realistic supermarket chain.

Deterministic (seeded), loaded once into an empty database. Members shop at a home
store with their own rhythm (some weekly, some monthly), re-buy their staples
(milk, eggs, rice...) and add a few impulse items, so repeat-purchase analytics and
recommendations have something real to find.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tortoise.transactions import in_transaction

from domain import clock
from domain.auth.model import Role
from domain.catalog.tables import Product
from domain.coupons.tables import CouponTemplate
from domain.demo_constants import (
    DEMO_MEMBER_PHONE,
    DEMO_PARTNER_CLIENT_ID,
    DEMO_PARTNER_SCOPES,
    DEMO_SIGN_IN_CODE,
    DEMO_STAFF_PASSWORD,
)
from domain.members.store import PHONE_CONTEXT
from domain.members.tables import Member
from domain.orders.tables import Order, OrderLine
from domain.org.services import create_staff
from domain.org.tables import Region, Store
from domain.partners.services import create_partner
from domain.runtime import Runtime
from domain.tiers.tables import Tier

REGIONS = [("EAST", "华东大区"), ("SOUTH", "华南大区")]
STORES = [
    ("SH01", "上海徐汇店", "EAST", "STORE"),
    ("SH02", "上海浦东店", "EAST", "STORE"),
    ("HZ01", "杭州西湖店", "EAST", "STORE"),
    ("GZ01", "广州天河店", "SOUTH", "STORE"),
    ("SZ01", "深圳南山店", "SOUTH", "STORE"),
    ("EC01", "鲜选天猫旗舰店", "SOUTH", "ECOMMERCE"),
]

# category path -> (items, price range in yuan, is a staple bought on a rhythm)
CATALOGUE: dict[str, tuple[list[str], tuple[float, float], bool]] = {
    "生鲜/水果": (
        [
            "红富士苹果",
            "香蕉",
            "赣南脐橙",
            "阳光玫瑰葡萄",
            "麒麟西瓜",
            "海南芒果",
            "奇异果",
            "草莓",
            "蓝莓",
            "砂糖橘",
            "水蜜桃",
            "哈密瓜",
            "火龙果",
            "山竹",
            "榴莲",
            "柚子",
        ],
        (6, 69),
        True,
    ),
    "生鲜/蔬菜": (
        [
            "上海青",
            "西红柿",
            "黄瓜",
            "土豆",
            "胡萝卜",
            "西兰花",
            "菠菜",
            "大白菜",
            "洋葱",
            "生菜",
            "茄子",
            "青椒",
            "冬瓜",
            "莲藕",
            "香菇",
            "金针菇",
        ],
        (2, 15),
        True,
    ),
    "生鲜/肉禽": (
        [
            "猪五花肉",
            "猪里脊",
            "排骨",
            "牛腱子",
            "雪花牛排",
            "鸡胸肉",
            "鸡翅中",
            "整鸡",
            "鸭腿",
            "羊肉卷",
            "猪肉馅",
            "牛肉丸",
        ],
        (15, 128),
        True,
    ),
    "生鲜/水产": (
        [
            "鲈鱼",
            "基围虾",
            "三文鱼刺身",
            "带鱼",
            "大闸蟹",
            "花蛤",
            "鱿鱼",
            "巴沙鱼柳",
            "扇贝",
            "黄花鱼",
        ],
        (18, 168),
        False,
    ),
    "乳品/鲜奶": (
        [
            "光明鲜牛奶 950ml",
            "蒙牛纯牛奶 250ml*12",
            "伊利安慕希酸奶",
            "简爱酸奶",
            "每日鲜语 鲜牛奶",
            "君乐宝 简醇",
            "养乐多",
            "奶酪棒",
        ],
        (8, 79),
        True,
    ),
    "禽蛋/鸡蛋": (["土鸡蛋 30枚", "可生食鸡蛋 10枚", "鸭蛋 12枚", "鹌鹑蛋"], (9, 45), True),
    "粮油/米面": (
        [
            "五常大米 5kg",
            "泰国香米 5kg",
            "金龙鱼花生油 5L",
            "鲁花花生油 5L",
            "挂面",
            "饺子粉",
            "燕麦片",
            "小米",
            "橄榄油 1L",
            "菜籽油 5L",
        ],
        (9, 159),
        True,
    ),
    "调味品": (
        [
            "海天生抽",
            "老抽王",
            "镇江香醋",
            "蚝油",
            "郫县豆瓣酱",
            "料酒",
            "食盐",
            "白砂糖",
            "鸡精",
            "火锅底料",
            "番茄酱",
            "芝麻油",
        ],
        (4, 39),
        False,
    ),
    "休闲食品/零食": (
        [
            "三只松鼠坚果",
            "乐事薯片",
            "奥利奥饼干",
            "旺旺雪饼",
            "卫龙辣条",
            "良品铺子肉脯",
            "德芙巧克力",
            "徐福记糖果",
            "好丽友派",
            "百草味果干",
            "盼盼法式小面包",
            "海苔",
        ],
        (5, 69),
        False,
    ),
    "酒水饮料/饮料": (
        [
            "农夫山泉 550ml*24",
            "可口可乐 330ml*6",
            "元气森林气泡水",
            "东方树叶",
            "王老吉",
            "椰树椰汁",
            "维他柠檬茶",
            "怡宝纯净水 4.5L",
            "脉动",
            "红牛",
        ],
        (4, 59),
        True,
    ),
    "酒水饮料/酒": (
        [
            "青岛啤酒 500ml*12",
            "雪花啤酒",
            "张裕干红",
            "五粮液",
            "茅台迎宾酒",
            "黄酒 绍兴花雕",
            "百威啤酒",
            "梅酒",
        ],
        (6, 1499),
        False,
    ),
    "冷冻食品": (
        [
            "思念水饺",
            "湾仔码头汤圆",
            "三全速冻粽子",
            "冷冻虾仁",
            "速冻玉米",
            "安井鱼丸",
            "冰淇淋 八喜",
            "手抓饼",
        ],
        (9, 59),
        False,
    ),
    "日用百货/清洁": (
        [
            "维达抽纸",
            "洗洁精",
            "洗衣液 3kg",
            "垃圾袋",
            "84消毒液",
            "厨房湿巾",
            "洗衣凝珠",
            "保鲜膜",
        ],
        (6, 69),
        True,
    ),
    "个护/洗护": (
        [
            "海飞丝洗发水",
            "舒肤佳沐浴露",
            "高露洁牙膏",
            "电动牙刷头",
            "护手霜",
            "洗面奶",
            "卫生巾",
            "纸尿裤",
        ],
        (9, 189),
        False,
    ),
    "母婴/奶粉": (["飞鹤奶粉 3段", "爱他美奶粉", "婴儿米粉", "宝宝面条"], (39, 399), True),
    "烘焙/面包": (["吐司面包", "全麦面包", "牛角包", "蛋糕卷", "月饼礼盒"], (6, 198), False),
}
EXCLUDED_FROM_POINTS = {"母婴/奶粉"}  # formula milk: regulated promotion, no points

STAFF = [
    ("admin@demo.xianxuan.cn", "管理员", Role.ADMIN, None, None),
    ("marketing@demo.xianxuan.cn", "市场经理", Role.MARKETING_MANAGER, None, None),
    ("analyst@demo.xianxuan.cn", "数据分析师", Role.ANALYST, None, None),
    ("agent.east@demo.xianxuan.cn", "华东客服", Role.SERVICE_AGENT, "EAST", None),
    ("store.sh01@demo.xianxuan.cn", "徐汇店店员", Role.STORE_STAFF, None, "SH01"),
    ("store.gz01@demo.xianxuan.cn", "天河店店员", Role.STORE_STAFF, None, "GZ01"),
]

TIERS = [
    ("REGULAR", "普通会员", 0, 0, 100, {}),
    ("SILVER", "银卡会员", 1, 200_000, 120, {"birthdayCouponValueFen": 1000}),
    ("GOLD", "金卡会员", 2, 800_000, 150, {"birthdayCouponValueFen": 3000, "freeReturns": True}),
    (
        "DIAMOND",
        "钻石会员",
        3,
        2_000_000,
        200,
        {
            "birthdayCouponValueFen": 8000,
            "freeReturns": True,
            "priorityDelivery": True,
            "earlyAccess": True,
            "memberPrices": True,
        },
    ),
]

COUPONS = [
    ("FIRST100-20", "新人首单 满100减20", "AMOUNT_OFF", 10_000, 2_000, 0, 30),
    ("SPEND200-50", "满200减50", "AMOUNT_OFF", 20_000, 5_000, 0, 14),
    ("FRESH-10PCT", "生鲜9折 最高减30", "PERCENT_OFF", 0, 3_000, 10, 7),
    ("FREE-DELIVERY", "免运费券", "FREE_DELIVERY", 3_900, 0, 0, 30),
    ("WINBACK-30", "好久不见 满150减30", "AMOUNT_OFF", 15_000, 3_000, 0, 14),
]


@dataclass
class Shopper:
    member_id: int | None
    store_id: int
    every_days: float  # mean days between visits
    staples: list[int]  # product indices re-bought on most visits
    basket: tuple[int, int]  # lines per visit (min, max)


async def is_loaded() -> bool:
    return await Region.exists()


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
        for code, name, kind, threshold, value, pct, days in COUPONS:
            await CouponTemplate.create(
                code=code,
                name=name,
                kind=kind,
                threshold_fen=threshold,
                value_fen=value,
                percent_off=pct,
                validity_days=days,
            )
        products = await _load_products(rnd)
        progress(f"catalogue: {len(products)} SKUs in {len(CATALOGUE)} categories")
        member_rows = await _load_members(rt, rnd, members, stores, tiers, now, months)
        progress(f"members: {len(member_rows)} (test phone {DEMO_MEMBER_PHONE})")
        count = await _load_orders(rnd, orders, member_rows, stores, products, now, months)
        progress(f"orders: {count} over {months} months")
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
                home_store=rnd.choice(stores),
                tier=tiers[0],
                created_at=now - timedelta(days=rnd.randint(1, months * 31)),
            )
        )
    await Member.bulk_create(rows, batch_size=500)
    return await Member.all().order_by("id")


async def _load_orders(rnd, target, member_rows, stores, products, now, months) -> int:
    staples_pool = [i for i, p in enumerate(products) if CATALOGUE[p.category_path][2]]
    shoppers = [
        Shopper(
            member_id=m.id,
            store_id=m.home_store_id,  # type: ignore[attr-defined]
            every_days=rnd.choice([4, 7, 7, 10, 14, 21, 30, 45]) * rnd.uniform(0.8, 1.3),
            staples=rnd.sample(staples_pool, rnd.randint(3, 7)),
            basket=(2, rnd.randint(4, 9)),
        )
        for m in member_rows
    ]
    start = now - timedelta(days=months * 30)
    orders: list[Order] = []
    basket_of: dict[str, list[tuple[int, int]]] = {}
    serial = 0
    weights = [1 / s.every_days for s in shoppers]
    walk_in = max(target // 10, 1)  # ~10% of orders carry no member: counted for analytics only
    for k in range(target):
        if k < walk_in:
            shopper = Shopper(None, rnd.choice(stores).id, 0, [], (1, 5))
        else:
            shopper = rnd.choices(shoppers, weights=weights)[0]
        paid_at = start + timedelta(seconds=rnd.randrange(int((now - start).total_seconds())))
        lines = [(p, rnd.choice([1, 1, 1, 2])) for p in shopper.staples if rnd.random() < 0.6]
        for _ in range(rnd.randint(*shopper.basket)):
            lines.append((rnd.randrange(len(products)), rnd.choice([1, 1, 2, 3])))
        lines = list({p: q for p, q in lines}.items()) or [(rnd.randrange(len(products)), 1)]
        total = sum(products[p].price_fen * q for p, q in lines)
        store = next(s for s in stores if s.id == shopper.store_id)
        serial += 1
        ext = f"{store.code}{paid_at.strftime('%Y%m%d')}{serial:06d}"
        orders.append(
            Order(
                external_id=ext,
                channel="ECOMMERCE" if store.channel == "ECOMMERCE" else "POS",
                store_id=store.id,
                member_id=shopper.member_id,
                paid_at=paid_at,
                total_paid_fen=total,
                created_at=paid_at,
            )
        )
        basket_of[ext] = lines
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
