"""The production ranking (``blend``) and category diversity (``diversify``); the
members' documents (``member_models``) are computed in engine_score. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from domain.feeds.engine_compiled import NEW_PER_CATEGORY, SEASONAL_MIN_LIFT
from domain.feeds.engine_score import (
    BASKET_DECAY,
    FAVOURITE_CATEGORIES,
    KIND_WEIGHT,
    RECENT_BASKETS,
    member_models,
)
from domain.feeds.engine_types import EngineParams
from domain.feeds.model import Candidate, FeedKind, MemberModel, Rhythm

__all__ = [
    "BASKET_DECAY",
    "FAVOURITE_CATEGORIES",
    "KIND_WEIGHT",
    "NEW_PER_CATEGORY",
    "RECENT_BASKETS",
    "SEASONAL_MIN_LIFT",
    "blend",
    "diversify",
    "due_ratio",
    "member_models",
]


def _keep_best(out: dict[int, Candidate], c: Candidate) -> None:
    old = out.get(c.product_id)
    if old is None or c.score > old.score:
        out[c.product_id] = c


def due_ratio(r: Rhythm, today: date) -> float:
    """Days since the last purchase over the member's median gap."""
    return (today - r.last_day).days / max(r.median_gap_days, 1e-9)


# A personal candidate that is also a best seller near the member gains this share of its
# popularity score.
POPULAR_LIFT = 0.5


def blend(
    doc: MemberModel,
    popular: Sequence[tuple[int, float]],
    today: date,
    params: EngineParams,
    *,
    personalised: bool = True,
) -> list[Candidate]:
    """THE production ranking of product items for one member (best first, one per
    product). ``popular``: (product, score) of the member's store/region/chain, best
    first. ``personalised=False``: popularity only, nothing of ``doc``."""
    out: dict[int, Candidate] = {}
    if personalised:
        for c in doc.candidates:
            _keep_best(out, c)
        w = KIND_WEIGHT[FeedKind.REPLENISH]
        for r in doc.rhythms:
            ratio = due_ratio(r, today)
            if ratio < params.replenish_share:
                continue
            regular = min(r.purchases, 10) / 10.0
            late = max(0.0, ratio - 2.0)  # long overdue: perhaps they stopped buying it
            s = w * (0.8 + 0.2 * regular) / (1.0 + late)
            parts = {"due": ratio, "purchases": float(r.purchases), "gap": r.median_gap_days}
            _keep_best(out, Candidate(r.product_id, FeedKind.REPLENISH, s, parts))
    top = popular[0][1] if popular else 0.0
    w = KIND_WEIGHT[FeedKind.POPULAR_NEAR_YOU]
    for pid, score in popular:
        s = w * (score / top if top > 0 else 0.0)
        old = out.get(pid)
        if old is None:
            out[pid] = Candidate(pid, FeedKind.POPULAR_NEAR_YOU, s, {"popularity": score})
        else:
            # personal and popular: the personal reason, lifted by half the popularity
            # (else a best seller's reason hid why it fits this member)
            parts = {**old.parts, "popularity": score}
            out[pid] = replace(old, score=old.score + POPULAR_LIFT * s, parts=parts)
    if personalised:
        # bought within the hold window: out of the feed unless due again by the member's
        # own rhythm (REPLENISH) — whatever other kind proposed it
        for pid, day in doc.recent.items():
            held = out.get(pid)
            if held is None or held.kind is FeedKind.REPLENISH:
                continue
            if (today - day).days <= params.bought_hold_days:
                del out[pid]
    return sorted(out.values(), key=lambda c: (-c.score, c.product_id))


def diversify(
    ranked: list[Candidate], category_of: Mapping[int, str], cap: int, window: int = 10
) -> list[Candidate]:
    """At most ``cap`` items of one category in the first ``window``; the rest keep their
    order after it."""
    head: list[Candidate] = []
    taken: set[int] = set()
    per: Counter[str] = Counter()
    for i, c in enumerate(ranked):
        if len(head) >= window:
            break
        cat = category_of.get(c.product_id)
        if cat is not None and per[cat] >= cap:
            continue
        if cat is not None:
            per[cat] += 1
        head.append(c)
        taken.add(i)
    return head + [c for i, c in enumerate(ranked) if i not in taken]
