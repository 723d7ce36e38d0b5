"""The recommendation engine on hand-made purchases: rules against direct counting,
rhythms and when they are due, the blend's rules (one candidate per product, bought items
leave, personalisation off uses nothing of the member) and the category cap."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import combinations

import pytest

from domain.config import Settings
from domain.feeds.engine import (
    EngineParams,
    Purchases,
    Trainer,
    blend,
    diversify,
    member_models,
)
from domain.feeds.model import Candidate, FeedKind, MemberModel, PopularityScope, Rhythm

D0 = date(2026, 3, 2)
PARAMS = EngineParams(min_support=0.01, min_confidence=0.01, neighbours_per_item=50)

# member -> list of baskets (day offset, items)
BASKETS: dict[int, list[tuple[int, set[int]]]] = {
    1: [(0, {1, 2, 3}), (3, {1, 2}), (9, {2, 4})],
    2: [(1, {1, 3}), (2, {3, 4, 5})],
    3: [(0, {1, 2}), (5, {1, 2, 5}), (6, {5})],
    4: [(4, {2, 3, 4})],
}


def _rows(baskets=BASKETS, store=None):
    return [
        (m, D0 + timedelta(days=d), it, store)
        for m, bs in baskets.items()
        for d, items in bs
        for it in sorted(items)
    ]


def _train(rows, params=PARAMS, today=D0 + timedelta(days=10), **kw):
    t = Trainer(params, **kw)
    t.add(Purchases.from_rows(rows))
    return t.finish(today)


def test_rules_match_direct_counting():
    model = _train(_rows())
    sets = [items for bs in BASKETS.values() for _, items in bs]
    n = len(sets)
    assert model.baskets == n
    seen = 0
    for a, c in (p for x, y in combinations(range(1, 6), 2) for p in ((x, y), (y, x))):
        both = sum(1 for s in sets if a in s and c in s)
        with_a = sum(1 for s in sets if a in s)
        with_c = sum(1 for s in sets if c in s)
        rule = next((r for r in model.rules.get(a, []) if r.consequent == c), None)
        if both == 0:
            assert rule is None
            continue
        seen += 1
        assert rule is not None
        assert rule.baskets == both
        assert rule.support == pytest.approx(both / n)
        assert rule.confidence == pytest.approx(both / with_a)
        assert rule.lift == pytest.approx((both / with_a) / (with_c / n))
    assert seen > 5
    for rules in model.rules.values():  # best lift first
        assert [r.lift for r in rules] == sorted((r.lift for r in rules), reverse=True)


def test_streaming_in_chunks_gives_the_same_model():
    rows = _rows()
    whole = _train(rows)
    t = Trainer(PARAMS)
    for m in BASKETS:
        t.add(Purchases.from_rows([r for r in rows if r[0] == m]))
    parts = t.finish(D0 + timedelta(days=10))
    assert parts.rules == whole.rules
    assert parts.neighbours == whole.neighbours
    assert parts.popularity == whole.popularity
    assert parts.stats == whole.stats


def test_thresholds_prune_rules():
    strict = EngineParams(min_support=0.3, min_confidence=0.6)
    model = _train(_rows(), params=strict)
    for rules in model.rules.values():
        for r in rules:
            assert r.support >= 0.3 and r.confidence >= 0.6


def test_neighbours_are_cosine_over_members():
    model = _train(_rows())
    buyers = {it: {m for m, bs in BASKETS.items() for _, s in bs if it in s} for it in range(1, 6)}
    for it, nbs in model.neighbours.items():
        for nb, score, co in nbs:
            both = buyers[it] & buyers[nb]
            assert co == len(both) >= 2
            assert score == pytest.approx(len(both) / (len(buyers[it]) * len(buyers[nb])) ** 0.5)


def test_popularity_per_store_region_and_chain():
    rows = _rows({1: [(0, {1, 2})], 2: [(0, {1})]}, store=None)
    rows = [(m, d, it, 10 if m == 1 else 20) for m, d, it, _ in rows]
    model = _train(rows, store_region={10: 7, 20: 7})
    assert [p for p, _, _ in model.popularity[(PopularityScope.STORE, 20)]] == [1]
    chain = model.popularity[(PopularityScope.CHAIN, 0)]
    assert [(p, b) for p, b, _ in chain] == [(1, 2), (2, 1)]
    assert [(p, b) for p, b, _ in model.popularity[(PopularityScope.REGION, 7)]] == [(1, 2), (2, 1)]


def _member(days: list[int], item: int = 9, today: date = D0):
    rows = [(1, D0 + timedelta(days=d), item, None) for d in days]
    chunk = Purchases.from_rows(rows)
    model = _train(rows, today=today)
    return dict(member_models(chunk, model, today, PARAMS, {}))[1]


def test_rhythm_is_the_median_gap_over_three_purchases_or_more():
    doc = _member([0, 5, 9, 20])  # gaps 5, 4, 11: median 5
    assert doc.rhythms == [Rhythm(9, 4, 5.0, D0 + timedelta(days=20))]
    doc = _member([0, 4, 10, 14, 24])  # gaps 4, 6, 4, 10: median 5
    assert doc.rhythms[0].median_gap_days == 5.0
    assert _member([0, 7]).rhythms == []  # two purchases: no rhythm


def test_replenish_is_due_exactly_at_the_share_of_the_gap():
    last = D0
    doc = MemberModel(rhythms=[Rhythm(9, 4, 10.0, last)])
    at = blend(doc, [], last + timedelta(days=8), PARAMS)  # 8 / 10 = 0.8: due
    assert [(c.product_id, c.kind) for c in at] == [(9, FeedKind.REPLENISH)]
    assert blend(doc, [], last + timedelta(days=7), PARAMS) == []  # 0.7: not yet


def test_personalised_off_uses_nothing_of_the_member():
    doc = MemberModel(
        candidates=[Candidate(5, FeedKind.BOUGHT_TOGETHER, 9.0, {}, 1)],
        rhythms=[Rhythm(6, 5, 2.0, D0 - timedelta(days=10))],
        recent={7: D0},
        favourite_categories=["x"],
    )
    popular = [(7, 3.0), (8, 2.0)]
    ranked = blend(doc, popular, D0, PARAMS, personalised=False)
    assert [(c.product_id, c.kind) for c in ranked] == [
        (7, FeedKind.POPULAR_NEAR_YOU),
        (8, FeedKind.POPULAR_NEAR_YOU),
    ]
    assert blend(MemberModel(), popular, D0, PARAMS, personalised=False) == ranked


def test_a_bought_item_without_rhythm_leaves_the_feed():
    doc = MemberModel(
        candidates=[Candidate(5, FeedKind.BOUGHT_TOGETHER, 0.5, {}, 1)],
        recent={5: D0 - timedelta(days=1), 8: D0 - timedelta(days=2)},
    )
    ranked = blend(doc, [(8, 1.0), (9, 0.5)], D0, PARAMS)
    assert [c.product_id for c in ranked] == [9]


def test_one_candidate_per_product_the_best_kind():
    doc = MemberModel(
        candidates=[
            Candidate(5, FeedKind.BOUGHT_TOGETHER, 0.5, {}, 1),
            Candidate(5, FeedKind.SIMILAR_MEMBERS, 0.2, {}, 2),
        ],
        rhythms=[Rhythm(5, 6, 7.0, D0 - timedelta(days=7))],
    )
    ranked = blend(doc, [(5, 1.0), (6, 0.9)], D0, PARAMS)
    assert [c.product_id for c in ranked].count(5) == 1
    assert ranked[0].product_id == 5 and ranked[0].kind == FeedKind.REPLENISH
    doc2 = next(iter(member_models(Purchases.from_rows(_rows()), _train(_rows()), D0, PARAMS, {})))
    ids = [c.product_id for c in doc2[1].candidates]
    assert len(ids) == len(set(ids))


def test_diversify_caps_a_category_in_the_window():
    ranked = [Candidate(i, FeedKind.POPULAR_NEAR_YOU, 1.0 - i / 100) for i in range(12)]
    category = {i: ("milk" if i < 6 else f"c{i}") for i in range(12)}
    out = diversify(ranked, category, cap=2, window=5)
    head = [c.product_id for c in out[:5]]
    assert head == [0, 1, 6, 7, 8]
    assert [c.product_id for c in out[5:]] == [2, 3, 4, 5, 9, 10, 11]
    assert sorted(c.product_id for c in out) == list(range(12))


def test_params_come_from_the_settings():
    s = Settings()
    p = EngineParams.from_settings(s)
    assert p.replenish_share == s.feed_replenish_share
    assert p.replenish_min_purchases == s.feed_replenish_min_purchases
    assert p.candidates_per_member == s.feed_candidates_per_member


def test_pairs_beyond_the_budget_are_counted_lossily(monkeypatch):
    from domain.feeds import engine_train

    # members 1..40 all buy 1 and 2 together; each also buys two products of their own
    rows = [(m, D0, it, None) for m in range(1, 41) for it in (1, 2, 100 + 2 * m, 101 + 2 * m)]
    exact = _train(rows, params=EngineParams(min_support=0.01, min_confidence=0.01))
    monkeypatch.setattr(engine_train, "PAIR_BUDGET", 10)
    t = Trainer(EngineParams(min_support=0.01, min_confidence=0.01))
    for m in range(1, 41):
        t.add(Purchases.from_rows([r for r in rows if r[0] == m]))
    assert t.cooc.nnz <= 10 and t.forgotten >= 1
    lossy = t.finish(D0 + timedelta(days=10))
    assert lossy.rules[1] == [r for r in exact.rules[1] if r.consequent == 2]
    assert lossy.neighbours[1] == exact.neighbours[1][:1]
