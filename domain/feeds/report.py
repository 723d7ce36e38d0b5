"""``feedReport``: what members did with their feeds, per item kind, for staff.

Counts are of events that occurred in the period (Asia/Shanghai dates, both included).
Rates are integers in basis points (1/100 of a percent, 10000 = 100%), rounded half up,
0 when nothing to divide by:

* clickThroughBp  = clicks / impressions
* addToCartBp     = add-to-cart / impressions
* conversionBp    = purchases / clickedProducts, where clickedProducts counts distinct
  (member, product) pairs clicked in the period and purchases those of them the same
  member bought within 7 days after a click of it (orders through domain.orders' store).

Scope: the members' org scope (``domain.members.scope``, one rule for every staff read):
HQ staff (and analysts, who work for HQ) see every store; region staff the stores of
their region; store staff the stores of their store's region (STORE_STAFF_SCOPE=region,
the default) or only their own store (STORE_STAFF_SCOPE=store). Events are attributed to
the member's home store when recorded; events of members without one count for HQ only.
``storeCode`` narrows to one store inside the scope; one outside it is PermissionDenied."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from domain import clock
from domain.auth import policy
from domain.auth.model import Principal, PrincipalKind
from domain.config import Settings
from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.feeds.model import FeedEventType, FeedKind
from domain.feeds.store import signals as store
from domain.members import scope
from domain.orders import store as orders
from domain.org import store as org

CONVERSION_WINDOW = timedelta(days=7)
PERIOD_MAX_DAYS = 366
IN_CHUNK = 1000
MEMBERS_PER_PAGE = 1000  # clicking members read at a time: memory bounded by a page


def rate_bp(part: int, whole: int) -> int:
    return (part * 10_000 + whole // 2) // whole if whole else 0


@dataclass
class KindRow:
    kind: FeedKind | None  # None: the totals row
    impressions: int = 0
    clicks: int = 0
    add_to_cart: int = 0
    clicked_products: int = 0
    purchases: int = 0

    @property
    def click_through_bp(self) -> int:
        return rate_bp(self.clicks, self.impressions)

    @property
    def add_to_cart_bp(self) -> int:
        return rate_bp(self.add_to_cart, self.impressions)

    @property
    def conversion_bp(self) -> int:
        return rate_bp(self.purchases, self.clicked_products)


@dataclass
class Report:
    start: date
    end: date
    store_code: str | None
    rows: list[KindRow] = field(default_factory=list)
    total: KindRow = field(default_factory=lambda: KindRow(None))


async def _store_scope(
    settings: Settings, viewer: Principal, store_code: str | None
) -> list[int] | None:
    """The store ids the report may count (None: every event, HQ without a store). The
    org scope is the members' (``domain.members.scope``): HQ every store; region staff
    their region's; store staff their store's region, or only their store with
    STORE_STAFF_SCOPE=store."""
    if not policy.READ_FEED_REPORT.allows(viewer) or viewer.kind is not PrincipalKind.STAFF:
        raise PermissionDenied("Only staff read the feed report.")
    if store_code:
        found = await org.store_by_code(store_code)
        if found is None:
            raise NotFound(f"No store {store_code!r}.", field="storeCode")
        if not scope.store_in_scope(settings, viewer, found.id, found.region_id):
            raise PermissionDenied("That store is outside your scope.", field="storeCode")
        return [found.id]
    if scope.is_hq(viewer):
        return None
    near = await org.store_ids_in_region(viewer.region_id) if viewer.region_id else []
    if viewer.store_id is not None:
        near.append(viewer.store_id)
    stores = await org.stores_by_ids(sorted(set(near)))
    return sorted(
        s.id for s in stores.values() if scope.store_in_scope(settings, viewer, s.id, s.region_id)
    )


async def feed_report(
    settings: Settings,
    viewer: Principal,
    start: date,
    end: date,
    store_code: str | None = None,
) -> Report:
    if end < start:
        raise InvalidInput("The period ends before it starts.", field="period")
    if (end - start).days + 1 > PERIOD_MAX_DAYS:
        raise InvalidInput(f"At most {PERIOD_MAX_DAYS} days per report.", field="period")
    stores = await _store_scope(settings, viewer, store_code)
    lo, hi = clock.day_start(start), clock.day_start(end + timedelta(days=1))
    by_kind = {k: KindRow(k) for k in FeedKind}
    for (kind, event), n in (await store.events_between(lo, hi, stores)).items():
        row = by_kind[FeedKind(kind)]
        if event == FeedEventType.IMPRESSION:
            row.impressions += n
        elif event == FeedEventType.CLICK:
            row.clicks += n
        elif event == FeedEventType.ADD_TO_CART:
            row.add_to_cart += n
    after = 0
    while page := await store.clicking_members(lo, hi, stores, after, MEMBERS_PER_PAGE):
        await _conversions(by_kind, await store.first_clicks(lo, hi, stores, page))
        after = page[-1]
    report = Report(start, end, store_code)
    for row in by_kind.values():
        report.rows.append(row)
        t = report.total
        t.impressions += row.impressions
        t.clicks += row.clicks
        t.add_to_cart += row.add_to_cart
        t.clicked_products += row.clicked_products
        t.purchases += row.purchases
    return report


async def _conversions(
    by_kind: dict[FeedKind, KindRow], first: list[tuple[str, int, int, datetime]]
) -> None:
    """Add a page of members' first clicks (kind, member, product, first click in the
    period): each counts as clicked, and as a purchase when the member bought the product
    within the window after it."""
    if not first:
        return
    earliest = min(clock.utc(at) for *_k, at in first)
    latest = max(clock.utc(at) for *_k, at in first) + CONVERSION_WINDOW
    bought: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    members = sorted({m for _k, m, _p, _a in first})
    products = sorted({p for _k, _m, p, _a in first})
    # in chunks: one statement's bind parameters are bounded (asyncpg 32767, SQLite less)
    for j in range(0, len(products), IN_CHUNK):
        for member, product, paid_at in await orders.bought_between(
            members, products[j : j + IN_CHUNK], earliest, latest
        ):
            bought[(member, product)].append(clock.utc(paid_at))
    for kind, member, product, at in first:
        at = clock.utc(at)
        row = by_kind[FeedKind(kind)]
        row.clicked_products += 1
        if any(at < paid <= at + CONVERSION_WINDOW for paid in bought.get((member, product), [])):
            row.purchases += 1
