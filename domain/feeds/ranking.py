"""Serving's own ordering rules, pure: which ranked products a member may see (dismissed,
muted, gone from the catalogue), where offers go between them, and pages of the result.
The score order itself is ``engine.blend`` and the category cap ``engine.diversify``.

Offers (expiring points, today's campaign, claimable coupons, in that order) take the
fixed positions ``OFFER_SLOTS`` of the feed (0-based: the 3rd, 7th, 12th, 18th and 25th
item), so the first screen always opens with products and an offer never hides one
that ranked above it; offers beyond the slots, or past the end of a short product list,
follow the products.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from domain.feeds.model import Candidate, FeedKind, ItemKey

OFFER_SLOTS = (2, 6, 11, 17, 24)
CATEGORY_DEPTH = 2  # "生鲜/水果/苹果" counts as "生鲜/水果" for the category cap

T = TypeVar("T")


@dataclass(frozen=True)
class FeedEntry:
    """One ranked item of a member's feed, as cached (``to_json``) and served."""

    key: str  # model.ItemKey text: "product:12", "coupon:SPEND200-50", ...
    kind: FeedKind
    reason: str
    parts: dict[str, float] = field(default_factory=dict)
    product_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # what an offer shows

    def to_json(self) -> list[Any]:
        return [self.key, self.kind.value, self.reason, self.parts, self.product_id, self.extra]

    @classmethod
    def from_json(cls, row: list[Any]) -> FeedEntry:
        key, kind, reason, parts, product_id, extra = row
        return cls(key, FeedKind(kind), reason, parts, product_id, extra)


def category_of(path: str) -> str:
    """The category a product counts under for the diversity cap."""
    return "/".join(path.split("/")[:CATEGORY_DEPTH])


def is_muted(path: str, muted: Sequence[str]) -> bool:
    """Is a product of category ``path`` under one of the muted prefixes (whole segments:
    muting "生鲜/水" mutes nothing of "生鲜/水果")?"""
    prefixes = [m.rstrip("/") for m in muted]
    return any(path == p or path.startswith(p + "/") for p in prefixes if p)


def visible(
    ranked: Sequence[Candidate],
    category_path: Mapping[int, str],
    dismissed: frozenset[str] | set[str],
    muted: Sequence[str],
    kinds: frozenset[FeedKind] | None = None,
) -> list[Candidate]:
    """``ranked`` without products missing from the catalogue (no category path), those
    dismissed or in a muted category, and (when ``kinds`` is given) other kinds."""
    out = []
    for c in ranked:
        path = category_path.get(c.product_id)
        if path is None or str(ItemKey.product(c.product_id)) in dismissed:
            continue
        if is_muted(path, muted) or (kinds is not None and c.kind not in kinds):
            continue
        out.append(c)
    return out


def slot_offers(products: Sequence[T], offers: Sequence[T]) -> list[T]:
    """``products`` with ``offers`` at ``OFFER_SLOTS`` (the rest after the products)."""
    out: list[T] = []
    pending = list(offers)
    rest = iter(products)
    for item in rest:
        while pending and len(out) in OFFER_SLOTS[: len(offers)]:
            out.append(pending.pop(0))
        out.append(item)
    out.extend(pending)
    return out


def window(keys: Sequence[str], after: tuple[int, str] | None, limit: int) -> tuple[int, int, bool]:
    """The page after cursor ``after`` = (position, item key) of its last item: the item
    is found by key (so a list that moved since keeps its place), else by position.
    Returns (start, end, more) of the slice of ``keys``."""
    start = 0
    if after is not None:
        position, key = after
        try:
            start = keys.index(key) + 1
        except ValueError:
            start = min(max(position, 0), len(keys))  # the cursor's item left: next moved up
    end = min(start + limit, len(keys))
    return start, end, end < len(keys)
