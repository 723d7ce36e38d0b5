"""The demo chain's shopping, planned without a database: members visit their home store
on a regular cadence (with a day or two of jitter), buy each of their staples every visit
or every other visit (a rhythm the feed's replenishment can find), add a few impulse items
(popular ones more often) and the planted complements of what is in the basket
(``demo_data.COMPLEMENTS``). About a tenth of the orders are walk-ins without a member."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate

from domain import clock

OPEN_HOURS_S = 13 * 3600  # a visit falls in the store's opening hours (08:00-21:00)
STAPLE_BUY_CHANCE = 0.92  # a due staple is bought (else skipped this visit)
# Some products are new: on sale only for the last NEW_DAYS (the feed's "上新了" items).
NEW_EVERY, NEW_DAYS = 23, 21


def is_new(product: int) -> bool:
    return product % NEW_EVERY == 4


@dataclass
class Shopper:
    member_id: int | None
    store_id: int
    every_days: float  # relative cadence: visits are spread in proportion to 1 / this
    staples: list[int]  # product indices re-bought on a rhythm
    basket: tuple[int, int]  # impulse lines per visit (min, max)
    staple_every: list[int] = field(default_factory=list)  # each staple: every n-th visit


@dataclass(frozen=True)
class PlannedOrder:
    member_id: int | None
    store_id: int
    paid_at: datetime
    lines: list[tuple[int, int]]  # (product index, quantity)


def plan_orders(
    rnd: random.Random,
    rhythm: random.Random,
    target: int,
    shoppers: list[Shopper],
    store_ids: list[int],
    n_products: int,
    complements: dict[int, list[tuple[int, float]]],
    now: datetime,
    days: int,
) -> list[PlannedOrder]:
    """``target`` orders over the ``days`` business days up to ``now``. ``rnd`` draws what
    the demo always drew (impulse items, walk-in stores); ``rhythm`` the planted cadence,
    staples' periods and complements."""
    first_day = clock.business_date(now) - timedelta(days=days - 1)
    # impulse items: the first products of every category sell more (a Zipf-like curve)
    cum = list(accumulate(1.0 / (1 + (i % 16)) for i in range(n_products)))

    def when(day: int) -> datetime:
        at = clock.day_start(first_day + timedelta(days=day)) + timedelta(
            hours=8, seconds=rhythm.randrange(OPEN_HOURS_S)
        )
        return min(at, now - timedelta(seconds=rhythm.randrange(60, 3600)))

    def basket(staples: list[int], lo_hi: tuple[int, int]) -> list[tuple[int, int]]:
        lines = [(p, rnd.choice([1, 1, 1, 2])) for p in staples]
        for _ in range(rnd.randint(*lo_hi)):
            lines.append(
                (rnd.choices(range(n_products), cum_weights=cum)[0], rnd.choice([1, 1, 2, 3]))
            )
        for p, _ in list(lines):
            for partner, chance in complements.get(p, ()):
                if rhythm.random() < chance:
                    lines.append((partner, 1))
        return list({p: q for p, q in lines}.items()) or [(rnd.randrange(n_products), 1)]

    launch = now - timedelta(days=NEW_DAYS)

    def on_sale(lines: list[tuple[int, int]], at: datetime) -> list[tuple[int, int]]:
        kept = [(p, q) for p, q in lines if at >= launch or not is_new(p)]
        return kept or [(next(p for p in range(n_products) if not is_new(p)), 1)]

    orders: list[PlannedOrder] = []
    walk_in = max(target // 10, 1)
    for _ in range(min(walk_in, target)):
        day = rhythm.randrange(days)
        at = when(day)
        orders.append(
            PlannedOrder(None, rnd.choice(store_ids), at, on_sale(basket([], (1, 5)), at))
        )
    visits = _visits_per_shopper(target - len(orders), shoppers)
    for shopper, n in zip(shoppers, visits, strict=True):
        if n == 0:
            continue
        if not shopper.staple_every:
            shopper.staple_every = [rhythm.choice([1, 1, 2]) for _ in shopper.staples]
        phases = [rhythm.randrange(k) for k in shopper.staple_every]
        cadence = days / n
        jitter = max(1, round(cadence * 0.1))
        start = rhythm.uniform(0, cadence)
        for i in range(n):
            day = round(start + i * cadence) + rhythm.randint(-jitter, jitter)
            day = min(max(day, 0), days - 1)
            due = [
                p
                for p, k, ph in zip(shopper.staples, shopper.staple_every, phases, strict=True)
                if i % k == ph and rhythm.random() < STAPLE_BUY_CHANCE
            ]
            at = when(day)
            lines = on_sale(basket(due, shopper.basket), at)
            orders.append(PlannedOrder(shopper.member_id, shopper.store_id, at, lines))
    return orders


def _visits_per_shopper(total: int, shoppers: list[Shopper]) -> list[int]:
    """``total`` visits shared in proportion to 1 / cadence (largest remainders)."""
    if not shoppers or total <= 0:
        return [0] * len(shoppers)
    weights = [1 / s.every_days for s in shoppers]
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(shoppers)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts
