"""Per member: candidates with named score parts, rhythms, recent purchases, favourite
categories (``member_models``); the production ranking (``blend``) and category diversity
(``diversify``). Pure."""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from domain.feeds.engine_arrays import group_starts, median_gaps
from domain.feeds.engine_types import EngineParams, GlobalModel, Purchases
from domain.feeds.model import Candidate, FeedKind, MemberModel, Rhythm

# How much each kind weighs in the blend (scores of one kind are in 0..1 before this).
KIND_WEIGHT: dict[FeedKind, float] = {
    FeedKind.REPLENISH: 1.0,
    FeedKind.BOUGHT_TOGETHER: 0.6,
    FeedKind.SIMILAR_MEMBERS: 0.5,
    FeedKind.SEASONAL: 0.35,
    FeedKind.NEW_IN_FAVOURITE_CATEGORY: 0.3,
    FeedKind.POPULAR_NEAR_YOU: 0.3,
}
RECENT_BASKETS = 3  # the member's last baskets that drive BOUGHT_TOGETHER
BASKET_DECAY = 0.7  # each older basket weighs this much of the next one
SEASONAL_MIN_LIFT = 1.5
FAVOURITE_CATEGORIES = 3
NEW_PER_CATEGORY = 3


def _keep_best(out: dict[int, Candidate], c: Candidate) -> None:
    old = out.get(c.product_id)
    if old is None or c.score > old.score:
        out[c.product_id] = c


def member_models(
    chunk: Purchases,
    model: GlobalModel,
    today: date,
    params: EngineParams,
    category_of: Mapping[int, str],
) -> Iterator[tuple[int, MemberModel]]:
    """The read-model document of every member of ``chunk`` (their whole history)."""
    if len(chunk) == 0:
        return
    t = today.toordinal()
    order = np.lexsort((chunk.day, chunk.item, chunk.member))
    member = chunk.member[order]
    item = chunk.item[order].astype(np.int64)
    day = chunk.day[order].astype(np.int64)
    keep = group_starts(member, item, day)  # distinct (member, item, day)
    member, item, day = member[keep], item[keep], day[keep]

    r_member, r_item, r_n, r_med, r_last = median_gaps(
        member, item, day, params.replenish_min_purchases
    )
    rhythms: dict[int, list[Rhythm]] = {}
    for m, it, n, g, last in zip(
        r_member.tolist(),
        r_item.tolist(),
        r_n.tolist(),
        r_med.tolist(),
        r_last.tolist(),
        strict=True,
    ):
        rhythms.setdefault(m, []).append(Rhythm(it, n, g, date.fromordinal(last)))

    new_by_cat, seasonal_by_cat = _catalogue_lists(model, today, params, category_of)
    starts = np.flatnonzero(group_starts(member))
    ends = np.append(starts[1:], member.shape[0])
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        m = int(member[s])
        yield (
            m,
            _one_member(
                item[s:e],
                day[s:e],
                rhythms.get(m, []),
                model,
                t,
                params,
                category_of,
                new_by_cat,
                seasonal_by_cat,
            ),
        )


def _catalogue_lists(
    model: GlobalModel, today: date, params: EngineParams, category_of: Mapping[int, str]
) -> tuple[dict[str, list[int]], dict[str, list[tuple[int, float]]]]:
    since = today - timedelta(days=params.new_product_days)
    new: dict[str, list[tuple[date, int]]] = {}
    seasonal: dict[str, list[tuple[int, float]]] = {}
    for pid, st in model.stats.items():
        cat = category_of.get(pid)
        if cat is None:
            continue
        if st.first_sold_on is not None and since <= st.first_sold_on <= today:
            new.setdefault(cat, []).append((st.first_sold_on, pid))
        if st.seasonal_lift >= SEASONAL_MIN_LIFT:
            seasonal.setdefault(cat, []).append((pid, st.seasonal_lift))
    return (
        {c: [p for _, p in sorted(v, reverse=True)[:NEW_PER_CATEGORY]] for c, v in new.items()},
        {c: sorted(v, key=lambda x: -x[1])[:NEW_PER_CATEGORY] for c, v in seasonal.items()},
    )


def _one_member(
    item: np.ndarray,
    day: np.ndarray,
    rhythms: list[Rhythm],
    model: GlobalModel,
    t: int,
    params: EngineParams,
    category_of: Mapping[int, str],
    new_by_cat: dict[str, list[int]],
    seasonal_by_cat: dict[str, list[tuple[int, float]]],
) -> MemberModel:
    items = item.tolist()
    days = day.tolist()
    times: Counter[int] = Counter(items)  # days the member bought each product
    last: dict[int, int] = {}
    for it, d in zip(items, days, strict=True):
        if d > last.get(it, -1):
            last[it] = d
    recent = {
        it: date.fromordinal(d) for it, d in last.items() if 0 <= t - d <= params.bought_hold_days
    }
    cats: Counter[str] = Counter()
    for it, n in times.items():
        cat = category_of.get(it)
        if cat is not None:
            cats[cat] += n
    favourite = [c for c, _ in cats.most_common(FAVOURITE_CATEGORIES)]
    # product -> (score, kind, what the score parts are made of): candidates are built
    # only for the best ``candidates_per_member`` at the end
    pool: dict[int, tuple[float, FeedKind, Any]] = {}

    def offer(pid: int, score: float, kind: FeedKind, payload: Any) -> None:
        old = pool.get(pid)
        if old is None or score > old[0]:
            pool[pid] = (score, kind, payload)

    # BOUGHT_TOGETHER: rules from the member's last baskets
    basket_days = sorted(set(days), reverse=True)[:RECENT_BASKETS]
    weight = {d: BASKET_DECAY**k for k, d in enumerate(basket_days)}
    w_bt = KIND_WEIGHT[FeedKind.BOUGHT_TOGETHER]
    for it, d in zip(items, days, strict=True):
        w = weight.get(d)
        if w is not None:
            for r in model.rules.get(it, ()):
                offer(r.consequent, w_bt * w * r.confidence, FeedKind.BOUGHT_TOGETHER, (r, w))

    # SIMILAR_MEMBERS: item neighbours of what the member bought, the cosine averaged over
    # their products (weighted by how often each was bought), so one much-bought product's
    # neighbours do not outweigh the member's own staples
    acc: dict[int, float] = {}
    ref: dict[int, tuple[float, int]] = {}
    total = 0.0
    for it, n in times.items():
        wi = math.log1p(n)
        total += wi
        for nb, cos, _co in model.neighbours.get(it, ()):
            v = wi * cos
            acc[nb] = acc.get(nb, 0.0) + v
            if v > ref.get(nb, (0.0, 0))[0]:
                ref[nb] = (v, it)
    w_sm = KIND_WEIGHT[FeedKind.SIMILAR_MEMBERS]
    for nb, v in acc.items():
        offer(nb, w_sm * v / total, FeedKind.SIMILAR_MEMBERS, (v / total, ref[nb][1]))

    # SEASONAL: products that sell now, which the member bought before or in their categories
    w_se = KIND_WEIGHT[FeedKind.SEASONAL]
    seasonal: list[tuple[int, float]] = [
        (it, model.stats[it].seasonal_lift)
        for it in times
        if it in model.stats and model.stats[it].seasonal_lift >= SEASONAL_MIN_LIFT
    ]
    for cat in favourite:
        seasonal.extend(seasonal_by_cat.get(cat, ()))
    for it, lift in seasonal:
        offer(it, w_se * min(lift / 3.0, 1.0), FeedKind.SEASONAL, lift)

    # NEW_IN_FAVOURITE_CATEGORY
    w_new = KIND_WEIGHT[FeedKind.NEW_IN_FAVOURITE_CATEGORY]
    for rank, cat in enumerate(favourite):
        for it in new_by_cat.get(cat, ()):
            if it not in times:
                offer(it, w_new / (1 + rank), FeedKind.NEW_IN_FAVOURITE_CATEGORY, rank)

    best = heapq.nsmallest(
        params.candidates_per_member, pool.items(), key=lambda kv: (-kv[1][0], kv[0])
    )
    return MemberModel(
        candidates=[_candidate(pid, *entry) for pid, entry in best],
        rhythms=rhythms,
        recent=recent,
        favourite_categories=favourite,
    )


def _candidate(pid: int, score: float, kind: FeedKind, payload: Any) -> Candidate:
    if kind == FeedKind.BOUGHT_TOGETHER:
        rule, w = payload
        parts = {"confidence": rule.confidence, "lift": rule.lift, "recency": w}
        return Candidate(pid, kind, score, parts, rule.antecedent)
    if kind == FeedKind.SIMILAR_MEMBERS:
        avg, ref = payload
        return Candidate(pid, kind, score, {"neighbours": avg}, ref)
    if kind == FeedKind.SEASONAL:
        return Candidate(pid, kind, score, {"seasonal_lift": payload})
    return Candidate(pid, kind, score, {"category_rank": float(payload)})


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
