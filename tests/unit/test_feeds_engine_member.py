"""``member_models`` (vectorised over a chunk) against the straightforward per-member
reading it replaced, kept here as the reference: on random purchases, with rules,
neighbours, seasonal and new products and categories, every document is the same, float
for float (candidates, score parts, rhythms, recent, favourite categories)."""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest

from domain.feeds.engine import (
    EngineParams,
    GlobalModel,
    Purchases,
    Trainer,
    member_docs,
    member_models,
)
from domain.feeds.engine_arrays import group_starts, median_gaps
from domain.feeds.engine_member import (
    BASKET_DECAY,
    FAVOURITE_CATEGORIES,
    KIND_WEIGHT,
    NEW_PER_CATEGORY,
    RECENT_BASKETS,
    SEASONAL_MIN_LIFT,
)
from domain.feeds.model import Candidate, FeedKind, MemberModel, Rhythm

TODAY = date(2026, 6, 1)


def reference_member_models(
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


def _random(seed: int, members: int = 300, products: int = 80, days: int = 120):
    rng = np.random.default_rng(seed)
    per = rng.integers(1, 12, members)  # baskets per member
    b_member = np.repeat(np.arange(1, members + 1), per)
    b_day = TODAY.toordinal() - rng.integers(0, days, b_member.shape[0])
    size = rng.integers(1, 6, b_member.shape[0])
    l_basket = np.repeat(np.arange(b_member.shape[0]), size)
    favourite = rng.integers(1, products + 1, (members + 1, 4))
    own = rng.random(l_basket.shape[0]) < 0.5
    item = np.where(
        own,
        favourite[b_member[l_basket], rng.integers(0, 4, l_basket.shape[0])],
        rng.integers(1, products + 1, l_basket.shape[0]),
    )
    # some products the trainer never sees (a partial model, as the order-time refresh)
    item = np.where(rng.random(item.shape[0]) < 0.03, products + 1000 + item, item)
    chunk = Purchases(
        member=b_member[l_basket].astype(np.int64),
        day=b_day[l_basket].astype(np.int32),
        item=item.astype(np.int32),
    )
    params = EngineParams(
        min_support=0.002, min_confidence=0.05, neighbours_per_item=8, candidates_per_member=12
    )
    t = Trainer(params)
    t.add(chunk)
    model = t.finish(TODAY)
    for st in model.stats.values():  # seasonal and new products in some categories
        st.seasonal_lift = float(rng.choice([1.0, 1.6, 2.0, 4.0, 1.6]))
        if rng.random() < 0.2:
            st.first_sold_on = TODAY - timedelta(days=int(rng.integers(0, 40)))
    category_of = {p: f"c{p % 7}" for p in range(1, products + 1) if p % 11}
    # shuffled lines: member_models sorts them itself
    perm = rng.permutation(len(chunk))
    return chunk.take(perm), model, params, category_of


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_documents_equal_the_per_member_reading(seed):
    chunk, model, params, category_of = _random(seed)
    assert model.rules and model.neighbours
    got = list(member_models(chunk, model, TODAY, params, category_of))
    want = list(reference_member_models(chunk, model, TODAY, params, category_of))
    assert [m for m, _ in got] == [m for m, _ in want]
    kinds = Counter()
    for (_, g), (_, w) in zip(got, want, strict=True):
        assert g == w
        assert g.dumps() == w.dumps()
        kinds.update(c.kind for c in g.candidates)
    assert {FeedKind.BOUGHT_TOGETHER, FeedKind.SIMILAR_MEMBERS, FeedKind.SEASONAL} <= set(kinds)
    assert kinds[FeedKind.NEW_IN_FAVOURITE_CATEGORY] > 0


def test_a_partial_or_empty_model_gives_the_same_documents():
    chunk, model, params, category_of = _random(4, members=40)
    for m in (GlobalModel(), GlobalModel(neighbours=dict(list(model.neighbours.items())[:5]))):
        got = list(member_models(chunk, m, TODAY, params, category_of))
        want = list(reference_member_models(chunk, m, TODAY, params, category_of))
        assert got == want
    assert list(member_models(chunk.take(slice(0, 0)), model, TODAY, params, {})) == []


def test_member_docs_are_the_documents_serialised():
    chunk, model, params, category_of = _random(5)
    want = [(m, doc.dumps()) for m, doc in member_models(chunk, model, TODAY, params, category_of)]
    assert list(member_docs(chunk, model, TODAY, params, category_of)) == want
    assert list(member_docs(chunk.take(slice(0, 0)), model, TODAY, params, {})) == []
