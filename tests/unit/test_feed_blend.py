"""The blend's handling of what the member just bought and of best sellers that are also
personal candidates (``domain.feeds.engine.blend``)."""

from __future__ import annotations

from datetime import date, timedelta

from domain.feeds.engine import EngineParams, blend
from domain.feeds.model import Candidate, FeedKind, MemberModel, Rhythm

TODAY = date(2026, 12, 1)
PARAMS = EngineParams(bought_hold_days=30, replenish_share=0.8)
MILK, BREAD, TEA = 1, 2, 3


def kinds(ranked: list[Candidate]) -> dict[int, FeedKind]:
    return {c.product_id: c.kind for c in ranked}


def test_a_product_bought_yesterday_stays_out_whatever_kind_proposes_it():
    """Milk has a 7-day rhythm and was bought yesterday: not due, so neither the rules
    (bought with bread) nor the best sellers bring it back; bread, bought a month and
    a day ago, is back."""
    doc = MemberModel(
        candidates=[
            Candidate(MILK, FeedKind.BOUGHT_TOGETHER, 0.9, {"lift": 3.0}, BREAD),
            Candidate(BREAD, FeedKind.SIMILAR_MEMBERS, 0.5, {"similarity": 0.5}),
        ],
        rhythms=[Rhythm(MILK, 6, 7.0, TODAY - timedelta(days=1))],
        recent={MILK: TODAY - timedelta(days=1), BREAD: TODAY - timedelta(days=31)},
    )
    ranked = blend(doc, [(MILK, 50.0), (TEA, 40.0)], TODAY, PARAMS)
    assert kinds(ranked) == {BREAD: FeedKind.SIMILAR_MEMBERS, TEA: FeedKind.POPULAR_NEAR_YOU}


def test_within_the_hold_window_only_a_due_rhythm_brings_a_product_back():
    doc = MemberModel(
        rhythms=[Rhythm(MILK, 6, 7.0, TODAY - timedelta(days=6))],
        recent={MILK: TODAY - timedelta(days=6), BREAD: TODAY - timedelta(days=30)},
    )
    ranked = blend(doc, [(BREAD, 10.0)], TODAY, PARAMS)
    assert kinds(ranked) == {MILK: FeedKind.REPLENISH}  # 6/7 >= 0.8: due; bread held


def test_a_personal_candidate_that_sells_well_keeps_its_reason_and_rises():
    doc = MemberModel(candidates=[Candidate(TEA, FeedKind.SIMILAR_MEMBERS, 0.1, {"sim": 0.1})])
    alone = blend(doc, [], TODAY, PARAMS)[0]
    both = blend(doc, [(TEA, 80.0), (BREAD, 100.0)], TODAY, PARAMS)
    tea = next(c for c in both if c.product_id == TEA)
    assert tea.kind is FeedKind.SIMILAR_MEMBERS
    assert tea.score > alone.score and tea.parts["popularity"] == 80.0
    assert tea.parts["sim"] == 0.1


def test_personalisation_off_ignores_what_was_bought():
    doc = MemberModel(recent={MILK: TODAY})
    assert kinds(blend(doc, [(MILK, 1.0)], TODAY, PARAMS, personalised=False)) == {
        MILK: FeedKind.POPULAR_NEAR_YOU
    }
