"""Feed resolvers: a page of the member's ranked feed and the products bought together.

A feed item's ``id`` is the global id of its item key (``FeedItem:product:12``, base64),
the same across calls and rebuilds (``resolvers.feeds_signals`` encodes and decodes it).
The feed's cursors carry the last item's position and key (``ranking.window``)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import relay

from domain.auth import policy
from domain.catalog.services import ProductRow
from domain.errors import InvalidInput
from domain.feeds import services
from domain.feeds.model import FeedKind, ItemKey
from domain.feeds.ranking import FeedEntry
from domain.members.services import MemberView
from resolvers.feeds_signals import encode_item_id
from schema.catalog import types as catalog_types
from schema.context import Info
from schema.coupons.types import CouponKind
from schema.feeds import types as t
from schema.relay import BAD_CURSOR, decode_text_cursor, encode_text_cursor, page_size

CURSOR_PREFIX = "feed"


def item_id(key: str) -> strawberry.ID:
    """The item's opaque id: one encoding with the signals' mutations, which read it back."""
    return strawberry.ID(encode_item_id(key))


def encode_cursor(position: int, key: str) -> str:
    return encode_text_cursor(CURSOR_PREFIX, f"{position}:{key}")


def decode_cursor(cursor: str | None) -> tuple[int, str] | None:
    if cursor is None:
        return None
    position, _, key = decode_text_cursor(CURSOR_PREFIX, cursor).partition(":")
    digits = position.isascii() and position.isdigit()
    if ItemKey.parse(key) is None or not digits or int(position) >= 100_000:
        raise InvalidInput(BAD_CURSOR, field="after")
    return int(position), key


@t.feed_of.install
async def feed_of(
    info: Info, v: MemberView, first: int | None, after: str | None
) -> t.FeedItemConnection:
    ctx = info.context
    limit = page_size(first, ctx.rt.settings.gql_page_max)
    got = await services.page(ctx.rt, ctx.viewer, v, after=decode_cursor(after), limit=limit)
    products = await _products(got.entries, got.products)
    edges = [
        t.FeedItemEdge(node=_node(e, products), cursor=encode_cursor(got.start + i, e.key))
        for i, e in enumerate(got.entries)
        if e.product_id is None or e.product_id in products  # left the catalogue since
    ]
    return t.FeedItemConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=got.more,
            has_previous_page=got.start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def to_product(row: ProductRow) -> catalog_types.Product:
    return catalog_types.Product(**row.__dict__)


async def _products(
    entries: list[FeedEntry], ranked: dict[int, ProductRow] | None
) -> dict[int, catalog_types.Product]:
    """The page's products: those the ranking just read, else read now (a cached page's
    products may have left the catalogue since)."""
    ids = {e.product_id for e in entries if e.product_id is not None}
    rows = ranked if ranked is not None else await services.products_by_ids(ids)
    return {pid: to_product(rows[pid]) for pid in ids if pid in rows}


def _node(e: FeedEntry, products: dict[int, catalog_types.Product]) -> t.FeedItem:
    common = {
        "id": item_id(e.key),
        "kind": t.FeedKind(e.kind),
        "reason": e.reason,
        "parts": e.parts,
    }
    x = e.extra
    if e.kind is FeedKind.COUPON:
        return t.CouponOffer(
            **common,
            template_code=x["code"],
            name=x["name"],
            coupon_kind=CouponKind(x["kind"]),
            description=x["description"],
            stock_left=x["stock_left"],
        )
    if e.kind is FeedKind.CAMPAIGN:
        return t.CampaignItem(
            **common,
            name=x["name"],
            multiplier_pct=x["multiplier_pct"],
            ends_on=date.fromisoformat(x["ends_on"]),
        )
    if e.kind is FeedKind.POINTS_EXPIRING:
        return t.PointsExpiringItem(
            **common,
            points=x["points"],
            last_usable_day=date.fromisoformat(x["last_day"]),
            expires_at=datetime.fromisoformat(x["at"]),
        )
    assert e.product_id is not None
    return t.ProductSuggestion(**common, product=products[e.product_id])


@t.score_parts_of.install
def score_parts_of(info: Info, parts: dict[str, float]) -> list[t.ScorePart] | None:
    if not policy.SEE_FEED_SCORES.allows(info.context.viewer):
        return None
    return [t.ScorePart(name=k, value=v) for k, v in sorted(parts.items())]


@t.rule_figure.install
def rule_figure(info: Info, value: float) -> float | None:
    return value if policy.SEE_FEED_SCORES.allows(info.context.viewer) else None


@catalog_types.bought_together_of.install
async def bought_together_of(
    info: Info, product_id: int, first: int | None
) -> list[t.BoughtTogether]:
    limit = page_size(first, info.context.rt.settings.gql_page_max, default=10)
    return [
        t.BoughtTogether(
            product=to_product(b.product),
            support_value=b.support,
            confidence_value=b.confidence,
            lift_value=b.lift,
        )
        for b in await info.context.loaders.bought_together.load((product_id, limit))
    ]
