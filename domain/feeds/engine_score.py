"""``member_models``, vectorised over a chunk of members: every member's candidates come
from a few sorts of flat (member, product, score) arrays (no Python loop over members'
products or neighbours); Python builds only the documents' objects (the best
``candidates_per_member`` candidates, rhythms, recent, favourite categories). Pure.

The results are those of the straightforward per-member reading (kept as a reference in
tests/unit/test_feeds_engine_member.py), float for float: sums run in the same order
(``np.bincount`` adds sequentially), ties go to the same entry (stable sorts, entries in
the order the per-member reading offers them).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

import numpy as np

from domain.feeds.engine_arrays import group_starts, median_gaps
from domain.feeds.engine_compiled import (
    SEASONAL_MIN_LIFT,
    compiled,
    expand,
    lists,
)
from domain.feeds.engine_docs import _BT, _NEW, _SE, _SM, documents
from domain.feeds.engine_types import EngineParams, GlobalModel, Purchases
from domain.feeds.model import FeedKind, MemberModel

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
FAVOURITE_CATEGORIES = 3


def _rank_in_group(keys: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each run of equal (sorted) keys."""
    start = group_starts(keys)
    idx = np.arange(keys.shape[0])
    return idx - np.maximum.accumulate(np.where(start, idx, 0))


def _per_category(
    fav_m: np.ndarray,
    fav_cat: np.ndarray,
    fav_rank: np.ndarray,
    cat_names: list[str],
    lists: Mapping[str, list[int]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(member row, category rank, product id) for every product of ``lists`` of each
    favourite category, in the order of the favourites."""
    lens = np.asarray([len(lists.get(c, ())) for c in cat_names], dtype=np.int64)
    flat = np.asarray([p for c in cat_names for p in lists.get(c, ())], dtype=np.int64)
    ptr = np.zeros(len(cat_names) + 1, dtype=np.int64)
    np.cumsum(lens, out=ptr[1:])
    src, pos = expand(ptr, fav_cat)
    return fav_m[src], fav_rank[src], flat[pos]


class _Offers:
    """Flat candidate offers, in the order the per-member reading makes them: member row,
    product column, score, kind, payload."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        kind: int,
        m: np.ndarray,
        col: np.ndarray,
        score: np.ndarray,
        pf: np.ndarray,  # BT: basket weight, SM: averaged cosine, SE: lift, NEW: rank
        pi: np.ndarray | None = None,  # BT: rule position, SM: the product it comes from
    ) -> None:
        n = m.shape[0]
        self.parts.append(
            (
                m.astype(np.int64),
                col.astype(np.int64),
                np.asarray(score, dtype=np.float64),
                np.full(n, kind, dtype=np.int8),
                np.asarray(pf, dtype=np.float64),
                np.zeros(n, np.int64) if pi is None else pi.astype(np.int64),
            )
        )

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(np.concatenate([p[k] for p in self.parts]) for k in range(6))


def member_models(
    chunk: Purchases,
    model: GlobalModel,
    today: date,
    params: EngineParams,
    category_of: Mapping[int, str],
) -> Iterator[tuple[int, MemberModel]]:
    """The read-model document of every member of ``chunk`` (their whole history).

    ``model`` is compiled to arrays once and kept while it lives: do not change it
    between calls. The documents (~60 candidates each) are built with the garbage
    collector paused: they hold no cycles, and each collection would walk the model's
    millions of objects (a third of the time otherwise)."""
    if len(chunk) == 0:
        return
    paused = gc.isenabled()
    gc.disable()
    try:
        docs = _member_models(chunk, model, today, params, category_of)
    finally:
        if paused:
            gc.enable()
    yield from docs


def member_docs(
    chunk: Purchases,
    model: GlobalModel,
    today: date,
    params: EngineParams,
    category_of: Mapping[int, str],
) -> Iterator[tuple[int, str]]:
    """``(member, doc.dumps())`` for ``member_models``' documents, serialised straight
    from the arrays (no Candidate objects): what the rebuild writes, in about half the
    time of building the documents and dumping them."""
    if len(chunk) == 0:
        return
    paused = gc.isenabled()
    gc.disable()
    try:
        docs = _member_models(chunk, model, today, params, category_of, as_json=True)
    finally:
        if paused:
            gc.enable()
    yield from docs


def _member_models(
    chunk: Purchases,
    model: GlobalModel,
    today: date,
    params: EngineParams,
    category_of: Mapping[int, str],
    *,
    as_json: bool = False,
) -> list[Any]:
    t = today.toordinal()
    order = np.lexsort((chunk.day, chunk.item, chunk.member))
    member = chunk.member[order]
    item = chunk.item[order].astype(np.int64)
    day = chunk.day[order].astype(np.int64)
    keep = group_starts(member, item, day)  # distinct (member, item, day)
    member, item, day = member[keep], item[keep], day[keep]
    comp = compiled(model)
    ncols = max(comp.pids.shape[0], 1)

    mrow = np.cumsum(group_starts(member)) - 1  # member row of every line
    mids = member[group_starts(member)]
    n_members = mids.shape[0]
    # (member, product) groups, products ascending within a member
    g_start = group_starts(member, item)
    g_first = np.flatnonzero(g_start)
    g_m = mrow[g_first]
    g_item = item[g_first]
    g_n = np.bincount(np.cumsum(g_start) - 1)  # days the member bought it
    g_last = day[np.append(g_first[1:], item.shape[0]) - 1]
    g_col = comp.cols(g_item)
    known = np.flatnonzero(g_col >= 0)
    fav_m, fav_cat, fav_rank, cat_names = _favourites(g_m, g_item, g_n, category_of)
    offers = _Offers()

    # BOUGHT_TOGETHER: rules of the products of the member's last baskets, each product
    # with the weight of the latest of those baskets it is in
    d_order = np.lexsort((-day, mrow))
    d_gid = np.cumsum(group_starts(mrow[d_order], day[d_order])) - 1
    first_gid = d_gid[group_starts(mrow[d_order])]  # per member row
    d_rank = np.empty(day.shape[0], dtype=np.int64)
    d_rank[d_order] = d_gid - first_gid[mrow[d_order]]
    g_rank = np.minimum.reduceat(d_rank, g_first)
    weights = np.asarray([BASKET_DECAY**k for k in range(RECENT_BASKETS)])
    bt = known[g_rank[known] < RECENT_BASKETS]
    if comp.ru_col.size and bt.size:
        src, pos = expand(comp.ru_ptr, g_col[bt])
        w = weights[g_rank[bt][src]]
        score = KIND_WEIGHT[FeedKind.BOUGHT_TOGETHER] * w * comp.ru_conf[pos]
        offers.add(_BT, g_m[bt][src], comp.ru_col[pos], score, w, pos)

    # SIMILAR_MEMBERS: neighbours' cosine averaged over the member's products, weighted
    # log1p(days bought); the product with the largest share is the reference
    log1p = np.asarray([math.log1p(k) for k in range(int(g_n.max()) + 1)])
    g_w = log1p[g_n]
    total = np.bincount(g_m, weights=g_w, minlength=n_members)
    if comp.nb_col.size and known.size:
        src, pos = expand(comp.nb_ptr, g_col[known])
        e_m = g_m[known][src]
        key = e_m * ncols + comp.nb_col[pos]
        k_order = np.argsort(key, kind="stable")  # products ascending within a key
        k_start = group_starts(key[k_order])
        k_first = np.flatnonzero(k_start)
        k_id = np.cumsum(k_start) - 1
        vs = (g_w[known][src] * comp.nb_cos[pos])[k_order]
        acc = np.bincount(k_id, weights=vs)
        hit = np.flatnonzero(vs == np.maximum.reduceat(vs, k_first)[k_id])
        ref_pid = g_item[known][src][k_order][hit[group_starts(k_id[hit])]]
        first = k_order[k_first]
        a_m = e_m[first]
        score = KIND_WEIGHT[FeedKind.SIMILAR_MEMBERS] * acc / total[a_m]
        offers.add(_SM, a_m, comp.nb_col[pos][first], score, acc / total[a_m], ref_pid)

    # SEASONAL: products selling now that the member bought, or of a favourite category
    new_by_cat, seasonal_by_cat = lists(comp, model, today, params, category_of)
    w_se = KIND_WEIGHT[FeedKind.SEASONAL]
    se = known[comp.lift[g_col[known]] >= SEASONAL_MIN_LIFT]
    lifts = comp.lift[g_col[se]]
    offers.add(_SE, g_m[se], g_col[se], w_se * np.minimum(lifts / 3.0, 1.0), lifts)
    seasonal = {c: [p for p, _ in v] for c, v in seasonal_by_cat.items()}
    f_m, _, f_pid = _per_category(fav_m, fav_cat, fav_rank, cat_names, seasonal)
    f_col = comp.cols(f_pid)
    f_lift = comp.lift[f_col]
    offers.add(_SE, f_m, f_col, w_se * np.minimum(f_lift / 3.0, 1.0), f_lift)

    # NEW_IN_FAVOURITE_CATEGORY: new products of a favourite category not bought yet
    n_m, n_rank, n_pid = _per_category(fav_m, fav_cat, fav_rank, cat_names, new_by_cat)
    n_col = comp.cols(n_pid)
    bought = np.sort(g_m[known] * ncols + g_col[known])
    nk = n_m * ncols + n_col
    fresh = ~np.isin(nk, bought) & (n_col >= 0)
    r = n_rank[fresh]
    w_new = KIND_WEIGHT[FeedKind.NEW_IN_FAVOURITE_CATEGORY]
    offers.add(_NEW, n_m[fresh], n_col[fresh], w_new / (1 + r), r)

    rhythms = median_gaps(member, item, day, params.replenish_min_purchases)
    recent = np.flatnonzero((t - g_last >= 0) & (t - g_last <= params.bought_hold_days))
    return documents(
        mids,
        _best(offers, n_members, ncols, params.candidates_per_member),
        comp,
        rhythms,
        (g_m[recent], g_item[recent], g_last[recent]),
        (fav_m, [cat_names[c] for c in fav_cat.tolist()]),
        as_json,
    )


def _favourites(
    g_m: np.ndarray, g_item: np.ndarray, g_n: np.ndarray, category_of: Mapping[int, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Each member's favourite categories (most days x products first, ties to the one
    with the lowest product id): (member row, category code, rank) sorted by member and
    rank, and the category names of the codes."""
    u_item, u_inv = np.unique(g_item, return_inverse=True)
    cat_names: list[str] = []
    cat_code: dict[str, int] = {}
    u_cat = np.full(u_item.shape[0], -1, dtype=np.int64)
    for k, pid in enumerate(u_item.tolist()):
        name = category_of.get(pid)
        if name is not None:
            code = cat_code.get(name)
            if code is None:
                code = cat_code[name] = len(cat_names)
                cat_names.append(name)
            u_cat[k] = code
    g_cat = u_cat[u_inv]
    has = np.flatnonzero(g_cat >= 0)
    c_order = has[np.lexsort((g_item[has], g_cat[has], g_m[has]))]
    c_start = group_starts(g_m[c_order], g_cat[c_order])
    c_sum = np.bincount(np.cumsum(c_start) - 1, weights=g_n[c_order]) if has.size else g_n[has]
    c_first = c_order[c_start]  # each (member, category)'s lowest product
    c_m, c_cat = g_m[c_first], g_cat[c_first]
    f_order = np.lexsort((g_item[c_first], -c_sum, c_m))
    f_rank = _rank_in_group(c_m[f_order])
    top = f_rank < FAVOURITE_CATEGORIES
    sel = f_order[top]
    return c_m[sel], c_cat[sel], f_rank[top], cat_names


def _best(offers: _Offers, n_members: int, ncols: int, k: int) -> tuple[np.ndarray, ...]:
    """One offer per (member, product): the best score, ties to the first offered; then
    each member's best ``k``, best first (ties to the lower product id)."""
    m, col, score, kind, pf, pi = offers.arrays()
    key = m * ncols + col
    sm = kind == _SM  # one per key already, sorted by key
    small = np.flatnonzero(~sm)
    o = small[np.lexsort((-score[small], key[small]))]  # stable: ties keep the offer order
    small = o[group_starts(key[o])]
    sm = np.flatnonzero(sm)
    keep_sm = np.ones(sm.shape[0], dtype=bool)
    keep_small = np.ones(small.shape[0], dtype=bool)
    if sm.size and small.size:
        at = np.minimum(np.searchsorted(key[sm], key[small]), sm.shape[0] - 1)
        both = key[sm][at] == key[small]
        s_sm, s_small = score[sm][at], score[small]
        # BOUGHT_TOGETHER is offered before SIMILAR_MEMBERS, the others after
        sm_wins = (s_sm > s_small) | ((s_sm == s_small) & (kind[small] != _BT))
        keep_small = ~(both & sm_wins)
        keep_sm[at[both & ~sm_wins]] = False
    one = np.concatenate([sm[keep_sm], small[keep_small]])
    # each member's best k: a coarse sort on (member, leading bits of the score) finds
    # every member's k-th score roughly; the few offers at or above it are sorted exactly
    m1, s1 = m[one], score[one]
    mbits = max(int(n_members).bit_length(), 1)
    sbits = 62 - mbits
    coarse = (m1 << sbits) | ((1 << sbits) - 1 - (s1.view(np.int64) >> (63 - sbits)))
    oc = np.argsort(coarse)
    rank = _rank_in_group(m1[oc])
    at_k = oc[rank == k - 1]
    thresh = np.full(n_members, np.iinfo(np.int64).max, dtype=np.int64)
    thresh[m1[at_k]] = coarse[at_k]
    few = one[coarse <= thresh[m1]]
    u, inv = np.unique(-score[few], return_inverse=True)
    if n_members * max(u.shape[0], 1) * ncols < 2**62:
        fine = np.argsort((m[few] * u.shape[0] + inv) * ncols + col[few])
    else:
        fine = np.lexsort((col[few], -score[few], m[few]))
    sel = few[fine]
    sel = sel[_rank_in_group(m[sel]) < k]
    return m[sel], col[sel], score[sel], kind[sel], pf[sel], pi[sel]
