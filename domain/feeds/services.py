"""The member's feed: the read model ranked (``engine.blend``), filtered by what the
member said (dismissed items, muted categories, personalisation off) and by the catalogue,
kept diverse (``engine.diversify``), explained in Chinese, with the member's offers in
fixed slots (``ranking.OFFER_SLOTS``); cached per member and read-model version
(``feed_cache``). Also the rules behind ``Product.boughtTogether``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from domain import clock
from domain.audit import services as audit
from domain.auth.model import Principal, PrincipalKind
from domain.catalog import services as catalog
from domain.catalog.services import ProductRow
from domain.coupons import issuing as coupons
from domain.coupons.templates import description as coupon_description
from domain.feeds import engine, explain
from domain.feeds.model import (
    PERSONAL_KINDS,
    PRODUCT_KINDS,
    Candidate,
    FeedKind,
    ItemKey,
    ItemType,
    MemberModel,
    PopularityScope,
)
from domain.feeds.ranking import FeedEntry, category_of, slot_offers, visible, window
from domain.feeds.store import serve as store
from domain.members.services import MemberView
from domain.org import store as org
from domain.points import services as points
from domain.points import store as points_store
from domain.points.services import Upcoming
from domain.runtime import Runtime

NON_PERSONAL_KINDS = PRODUCT_KINDS - PERSONAL_KINDS


@dataclass(frozen=True)
class FeedPage:
    entries: list[FeedEntry]
    start: int  # position of the first entry in the whole feed
    more: bool
    # the ranked products when the page was just ranked (not cached): the resolver needs
    # not read them again; None: read them (they may have left the catalogue since)
    products: dict[int, ProductRow] | None = None


async def page(
    rt: Runtime,
    viewer: Principal,
    member: MemberView,
    *,
    after: tuple[int, str] | None,
    limit: int,
) -> FeedPage:
    """A page of ``member``'s feed (the caller checked they may read it: the member
    themself, or staff whose row scope holds the member; staff reads are audited).
    From the cache while the member's version is current (only the page's entries are
    decoded); otherwise ranked now."""
    if viewer.kind is PrincipalKind.STAFF:
        await audit.record(viewer, "feed.read", "member", member.id)
    cache = rt.feed_cache
    version = await store.version_of(member.id) if cache.ttl_s else 0
    cached = await cache.get(member.id, version)
    if cached is not None:
        start, end, more = window([row[0] for row in cached], after, limit)
        return FeedPage([FeedEntry.from_json(row) for row in cached[start:end]], start, more)
    entries, products = await rank(rt, member)
    await cache.put(member.id, version, [e.to_json() for e in entries])
    start, end, more = window([e.key for e in entries], after, limit)
    return FeedPage(entries[start:end], start, more, products)


# Offers read "新会员专享" only for a member this new with no purchase history yet; a member
# whose document is empty for another reason (personalisation off, history out of the
# window) sees them as "可领取".
NEW_MEMBER = timedelta(days=30)


async def rank(rt: Runtime, member: MemberView) -> tuple[list[FeedEntry], dict[int, ProductRow]]:
    """The member's whole feed ranked now, and the products it read."""
    settings = rt.settings
    now = clock.now()
    today = clock.business_date(now)
    row, signals = await store.member_state(member.id, now)
    doc = MemberModel.loads(row.doc) if row.doc else MemberModel()
    cold = not (doc.candidates or doc.rhythms or doc.recent)
    scope, popular = await _popular_near(member, settings.feed_candidates_per_member)

    params = engine.EngineParams.from_settings(settings)
    ranked = engine.blend(doc, popular, today, params, personalised=signals.personalised)
    products = await products_by_ids({c.product_id for c in ranked} | _refs(ranked))
    paths = {pid: p.category_path for pid, p in products.items()}
    kinds = PRODUCT_KINDS if signals.personalised else NON_PERSONAL_KINDS
    shown = visible(ranked, paths, signals.dismissed, signals.muted, kinds)
    shown = engine.diversify(
        shown, {pid: category_of(path) for pid, path in paths.items()}, settings.feed_category_cap
    )
    last_bought = {r.product_id: r.last_day for r in doc.rhythms}
    items = [_product_entry(c, products, last_bought, scope, today) for c in shown]
    new = cold and (now - member.member_since) <= NEW_MEMBER
    offers = await _offers(member, today, settings.points_expiring_notice_days, new_member=new)
    entries = slot_offers(items, [o for o in offers if o.key not in signals.dismissed])
    return entries, products


async def _popular_near(
    member: MemberView, limit: int
) -> tuple[PopularityScope, list[tuple[int, float]]]:
    """The best sellers of the member's home store, else its region, else the chain's."""
    scopes: list[tuple[PopularityScope, int]] = []
    if member.home_store_id is not None:
        scopes.append((PopularityScope.STORE, member.home_store_id))
        home = (await org.stores_by_ids([member.home_store_id])).get(member.home_store_id)
        if home is not None and home.region_id is not None:
            scopes.append((PopularityScope.REGION, home.region_id))
    scopes.append((PopularityScope.CHAIN, 0))
    found = await store.popular(scopes, limit)
    for key in scopes:
        if found.get(key):
            return key[0], found[key]
    return PopularityScope.CHAIN, []


def _refs(ranked: list[Candidate]) -> set[int]:
    return {c.ref_product_id for c in ranked if c.ref_product_id is not None}


async def products_by_ids(ids: set[int]) -> dict[int, ProductRow]:
    if not ids:
        return {}
    return {p.id: p for p in await catalog.get_many(sorted(ids)) if p is not None}


def _product_entry(
    c: Candidate,
    products: dict[int, ProductRow],
    last_bought: dict[int, date],
    scope: PopularityScope,
    today: date,
) -> FeedEntry:
    ref = products.get(c.ref_product_id) if c.ref_product_id is not None else None
    last = last_bought.get(c.product_id)
    reason = explain.product_reason(
        c.kind,
        ref_name=ref.name if ref else None,
        days_since_last=(today - last).days if last else None,
        scope=scope,
        category=products[c.product_id].category_path,
    )
    parts = {name: round(float(v), 6) for name, v in c.parts.items()}
    parts.setdefault("score", round(float(c.score), 6))
    return FeedEntry(str(ItemKey.product(c.product_id)), c.kind, reason, parts, c.product_id)


def _by_last_day(upcoming: list[Upcoming]) -> dict[date, Upcoming]:
    """One item per last usable day (its key): lots expiring at two instants of one
    Shanghai day are summed, the earlier instant kept."""
    days: dict[date, Upcoming] = {}
    for up in upcoming:
        if up.last_day is None or up.points <= 0:
            continue
        seen = days.get(up.last_day)
        days[up.last_day] = up if seen is None else replace(seen, points=seen.points + up.points)
    return days


async def _offers(
    member: MemberView, today: date, notice_days: int, *, new_member: bool
) -> list[FeedEntry]:
    """Expiring points, today's campaigns, then claimable coupons that fit the member."""
    out: list[FeedEntry] = []
    for last_day, up in _by_last_day(await points.expiring(member, notice_days)).items():
        out.append(
            FeedEntry(
                str(ItemKey(ItemType.POINTS, last_day.isoformat())),
                FeedKind.POINTS_EXPIRING,
                explain.points_expiring_reason(up.points, last_day, today),
                extra={
                    "points": up.points,
                    "last_day": last_day.isoformat(),
                    "at": up.at.isoformat(),
                },
            )
        )
    for c in await points_store.campaigns_on(today):
        if c.weekdays and today.isoweekday() not in c.weekdays:
            continue
        out.append(
            FeedEntry(
                str(ItemKey(ItemType.CAMPAIGN, str(c.id))),
                FeedKind.CAMPAIGN,
                explain.campaign_reason(c.name, c.multiplier_pct),
                extra={
                    "id": c.id,
                    "name": c.name,
                    "multiplier_pct": c.multiplier_pct,
                    "ends_on": c.ends_on.isoformat(),
                },
            )
        )
    claimable = (await coupons.claimable_many([member.id])).get(member.id, [])
    for t in claimable:
        out.append(
            FeedEntry(
                str(ItemKey(ItemType.COUPON, t.code)),
                FeedKind.COUPON,
                explain.coupon_reason(t.name, new_member=new_member),
                extra={
                    "code": t.code,
                    "name": t.name,
                    "kind": t.kind,
                    "description": coupon_description(t),
                    "stock_left": t.stock_left,
                },
            )
        )
    return out


# --- Product.boughtTogether ----------------------------------------------------------------


@dataclass(frozen=True)
class BoughtTogether:
    product: ProductRow
    baskets: int
    support: float
    confidence: float
    lift: float


async def bought_together(product_ids: list[int], limit: int) -> dict[int, list[BoughtTogether]]:
    """For each product, the ``limit`` products most often bought with it: its rules by
    lift, products that left the catalogue skipped (three products or thirty: two
    statements)."""
    rules = await store.rules_of(product_ids)
    products = await products_by_ids({r.consequent_id for rs in rules.values() for r in rs})
    return {
        pid: [
            BoughtTogether(products[r.consequent_id], r.baskets, r.support, r.confidence, r.lift)
            for r in rs
            if r.consequent_id in products
        ][:limit]
        for pid, rs in rules.items()
    }
