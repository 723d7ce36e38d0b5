"""The streaming trainer: chunks of purchases in (never splitting a member), the global
model out. Memory is bounded by products x products (co-occurrence and co-buyer counts,
pruned to the best neighbours and rules at the end), never by members: a chunk's members
are forgotten once their counts are added."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

from domain.feeds.engine_arrays import group_starts, median_gaps, sort_order, top_per_row
from domain.feeds.engine_types import (
    MIN_CO_BUYERS,
    PAIR_BUDGET,
    POPULAR_PER_SCOPE,
    POPULARITY_HALF_LIFE_DAYS,
    SEASON_WINDOW_DAYS,
    EngineParams,
    GlobalModel,
    ProductStat,
    Purchases,
    Rule,
)
from domain.feeds.model import PopularityScope

_GAP_BINS = 2 * 1100 + 1  # median gaps in half days
_NO_DAY = np.iinfo(np.int32).max
_BLOCK_PAIRS = 2_000_000


def _doy(ordinals: np.ndarray) -> np.ndarray:
    """Day of the year (0..365) of date ordinals."""
    uniq, inv = np.unique(ordinals, return_inverse=True)
    doys = np.array([date.fromordinal(int(o)).timetuple().tm_yday - 1 for o in uniq])
    return doys[inv].astype(np.int64) if uniq.size else np.zeros(0, dtype=np.int64)


class _Index:
    """Dense indices for sparse ids (products, stores, regions), in order of first sight."""

    def __init__(self) -> None:
        self.pos: dict[int, int] = {}
        self.ids: list[int] = []

    def __len__(self) -> int:
        return len(self.ids)

    def map(self, values: np.ndarray) -> np.ndarray:
        uniq, inv = np.unique(values, return_inverse=True)
        out = np.empty(uniq.shape[0], dtype=np.int64)
        for i, v in enumerate(uniq.tolist()):
            p = self.pos.get(v)
            if p is None:
                p = self.pos[v] = len(self.ids)
                self.ids.append(v)
            out[i] = p
        return out[inv]


def _grow(m: sp.csr_matrix, shape: tuple[int, int]) -> sp.csr_matrix:
    if m.shape != shape:
        m.resize(shape)
    return m


def _grow_counts(a: np.ndarray, n: int) -> np.ndarray:
    return a if a.shape[0] >= n else np.concatenate([a, np.zeros(n - a.shape[0], a.dtype)])


def _pairs(x: sp.csr_matrix) -> sp.csr_matrix:
    """The upper triangle (i < j) of x.T @ x for a binary rows x items matrix: how many
    rows hold both products (the counts are symmetric; the diagonal is kept apart). The
    triangle is cut from the product's CSR arrays (no COO round trip, no re-sorting)."""
    c = x.T.tocsr() @ x
    n = c.shape[0]
    rows = np.repeat(np.arange(n, dtype=np.int32), np.diff(c.indptr))
    keep = c.indices > rows
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[keep], minlength=n), out=indptr[1:])
    return sp.csr_matrix((c.data[keep], c.indices[keep], indptr), shape=c.shape)


def _prune(m: sp.csr_matrix, budget: int) -> tuple[sp.csr_matrix, int]:
    """Lossy counting when the pairs outgrow ``budget``: forget the pairs seen least (1,
    then 2...) until they fit. Returns the matrix and the highest count forgotten."""
    level = 0
    while m.nnz > budget:
        level += 1
        m.data[m.data <= level] = 0
        m.eliminate_zeros()
    return m, level


def _both_ways(m: sp.csr_matrix) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(i, j, count) for both orders of every stored pair of an upper triangle, in blocks
    of whole rows (about ``_BLOCK_PAIRS`` pairs each, so finishing stays within memory)."""
    sym = (m + m.T).tocsr()
    del m  # the caller gave its counts up: only the symmetric copy stays
    n = sym.shape[0]
    step = max(1, n * _BLOCK_PAIRS // max(sym.nnz, 1))
    for lo in range(0, n, step):
        c = sym[lo : lo + step].tocoo()
        yield c.row.astype(np.int64) + lo, c.col, c.data.astype(np.float64)


class Trainer:
    def __init__(self, params: EngineParams, *, store_region: dict[int, int] | None = None):
        self.params = params
        self.store_region = store_region or {}
        self.items = _Index()
        self.stores = _Index()
        self.regions = _Index()
        self.baskets = 0
        # products x products, upper triangle: baskets with both, members who bought both
        self.cooc = sp.csr_matrix((0, 0), dtype=np.int32)
        self.cobuy = sp.csr_matrix((0, 0), dtype=np.int32)
        self.basket_count = np.zeros(0, dtype=np.int64)  # baskets with the product
        self.buyer_count = np.zeros(0, dtype=np.int64)  # members who bought it
        self.forgotten = 0  # the highest pair count lossy counting dropped (0: exact)
        self.gap_hist = sp.csr_matrix((0, _GAP_BINS), dtype=np.int64)
        self.pop: dict[PopularityScope, tuple[sp.csr_matrix, sp.csr_matrix]] = {}
        self.first_day = np.zeros(0, dtype=np.int32)
        self.doy_hist = np.zeros((0, 366), dtype=np.int64)
        self.min_day: int | None = None
        self.max_day: int | None = None
        self.anchor: int | None = None  # recency weights are 2 ** ((day - anchor) / half life)

    # -- adding -----------------------------------------------------------------------
    def add(self, chunk: Purchases) -> None:
        if len(chunk) == 0:
            return
        item = self.items.map(chunk.item)
        n = len(self.items)
        day = chunk.day.astype(np.int64)
        lo, hi = int(day.min()), int(day.max())
        self.min_day = lo if self.min_day is None else min(self.min_day, lo)
        self.max_day = hi if self.max_day is None else max(self.max_day, hi)
        if self.anchor is None:
            self.anchor = hi
        if np.all(chunk.member[1:] >= chunk.member[:-1]):  # read in member order
            member = np.cumsum(group_starts(chunk.member)) - 1
        else:
            _, member = np.unique(chunk.member, return_inverse=True)
        n_members = int(member.max()) + 1

        # baskets x items, members x items (binary) -> products x products counts
        _, basket = np.unique(member * (hi - lo + 1) + (day - lo), return_inverse=True)
        nb = int(basket.max()) + 1
        self.baskets += nb
        b = sp.csr_matrix((np.ones(item.shape[0], np.int32), (basket, item)), shape=(nb, n))
        b.data[:] = 1
        mi = sp.csr_matrix((np.ones(item.shape[0], np.int32), (member, item)), (n_members, n))
        mi.data[:] = 1
        self.basket_count = _grow_counts(self.basket_count, n)
        self.basket_count += np.bincount(b.indices, minlength=n)
        self.buyer_count = _grow_counts(self.buyer_count, n)
        self.buyer_count += np.bincount(mi.indices, minlength=n)
        budget = PAIR_BUDGET
        self.cooc, f1 = _prune(_grow(self.cooc, (n, n)) + _pairs(b), budget)
        self.cobuy, f2 = _prune(_grow(self.cobuy, (n, n)) + _pairs(mi), budget)
        self.forgotten = max(self.forgotten, f1, f2)

        # first sale, sales by day of the year
        if self.first_day.shape[0] < n:
            self.first_day = np.concatenate(
                [self.first_day, np.full(n - self.first_day.shape[0], _NO_DAY, np.int32)]
            )
            self.doy_hist = np.vstack(
                [self.doy_hist, np.zeros((n - self.doy_hist.shape[0], 366), np.int64)]
            )
        np.minimum.at(self.first_day, item, chunk.day.astype(np.int32))
        self.doy_hist += np.bincount(item * 366 + _doy(day), minlength=n * 366).reshape(n, 366)

        # each member's median gap per product (replenishable products)
        _, g_item, _, g_med, _ = median_gaps(member, item, day, self.params.replenish_min_purchases)
        bins = np.clip(np.rint(g_med * 2).astype(np.int64), 0, _GAP_BINS - 1)
        h = sp.csr_matrix((np.ones(bins.shape[0], np.int64), (g_item, bins)), (n, _GAP_BINS))
        self.gap_hist = _grow(self.gap_hist, (n, _GAP_BINS)) + h

        self._add_popularity(member, item, day, chunk.store)

    def _add_popularity(
        self, member: np.ndarray, item: np.ndarray, day: np.ndarray, store: np.ndarray | None
    ) -> None:
        assert self.anchor is not None
        n = len(self.items)
        scopes: list[tuple[PopularityScope, np.ndarray]] = [
            (PopularityScope.CHAIN, np.zeros(item.shape[0], np.int64))
        ]
        if store is not None:
            known = store >= 0
            if known.any():
                m, it, d, st = member[known], item[known], day[known], store[known]
                scopes_store = self.stores.map(st)
                self._pop_add(PopularityScope.STORE, m, it, d, scopes_store, len(self.stores), n)
                u_st, u_inv = np.unique(st, return_inverse=True)
                u_region = [self.store_region.get(s, -1) for s in u_st.tolist()]
                region = np.asarray(u_region, dtype=np.int64)[u_inv]
                has = region >= 0
                if has.any():
                    ridx = self.regions.map(region[has])
                    self._pop_add(
                        PopularityScope.REGION, m[has], it[has], d[has], ridx, len(self.regions), n
                    )
        for scope, rows in scopes:
            self._pop_add(scope, member, item, day, rows, 1, n)

    def _pop_add(
        self,
        scope: PopularityScope,
        member: np.ndarray,
        item: np.ndarray,
        day: np.ndarray,
        row: np.ndarray,
        n_rows: int,
        n: int,
    ) -> None:
        """One buyer per (member, row, item), weighted by how recently they last bought."""
        order = sort_order(member, row, item, -day)
        start = group_starts(member[order], row[order], item[order])
        sel = order[start]  # each group's latest day first
        assert self.anchor is not None
        w = np.exp2((day[sel] - self.anchor) / POPULARITY_HALF_LIFE_DAYS)
        buyers = sp.csr_matrix(
            (np.ones(sel.shape[0], np.int64), (row[sel], item[sel])), (n_rows, n)
        )
        score = sp.csr_matrix((w, (row[sel], item[sel])), (n_rows, n))
        if scope in self.pop:
            b0, s0 = self.pop[scope]
            self.pop[scope] = (_grow(b0, (n_rows, n)) + buyers, _grow(s0, (n_rows, n)) + score)
        else:
            self.pop[scope] = (buyers, score)

    # -- finishing ----------------------------------------------------------------------
    def _give_up(self, name: str) -> sp.csr_matrix:
        """The pair counts ``name``, handed over (the trainer keeps an empty matrix) so
        finishing holds one copy of them, not two."""
        m = getattr(self, name)
        setattr(self, name, sp.csr_matrix(m.shape, dtype=np.int32))
        return m

    def finish(self, today: date) -> GlobalModel:
        """The global model; it uses up the pair counts (call once, after every add)."""
        ids = np.asarray(self.items.ids, dtype=np.int64)
        model = GlobalModel(baskets=self.baskets)
        if not ids.size:
            return model
        model.rules = self._rules(ids)
        model.neighbours = self._neighbours(ids)
        model.popularity = self._popularity(ids, today)
        model.stats = self._stats(ids, today)
        return model

    def _rules(self, ids: np.ndarray) -> dict[int, list[Rule]]:
        p = self.params
        count = self.basket_count.astype(np.float64)
        total = float(max(self.baskets, 1))
        out: dict[int, list[Rule]] = {}
        for i, j, both in _both_ways(self._give_up("cooc")):
            support = both / total
            confidence = both / count[i]
            keep = (support >= p.min_support) & (confidence >= p.min_confidence)
            i, j, both, support, confidence = (
                i[keep],
                j[keep],
                both[keep],
                support[keep],
                confidence[keep],
            )
            lift = confidence / (count[j] / total)
            for k in top_per_row(i, lift, p.neighbours_per_item, j).tolist():
                a = int(ids[i[k]])
                rule = Rule(
                    a,
                    int(ids[j[k]]),
                    int(both[k]),
                    float(support[k]),
                    float(confidence[k]),
                    float(lift[k]),
                )
                out.setdefault(a, []).append(rule)
        return out

    def _neighbours(self, ids: np.ndarray) -> dict[int, list[tuple[int, float, int]]]:
        buyers = self.buyer_count.astype(np.float64)
        out: dict[int, list[tuple[int, float, int]]] = {}
        for i, j, co in _both_ways(self._give_up("cobuy")):
            keep = co >= MIN_CO_BUYERS
            i, j, co = i[keep], j[keep], co[keep]
            cos = co / np.sqrt(buyers[i] * buyers[j])
            for k in top_per_row(i, cos, self.params.neighbours_per_item, j).tolist():
                nb = (int(ids[j[k]]), float(cos[k]), int(co[k]))
                out.setdefault(int(ids[i[k]]), []).append(nb)
        return out

    def _popularity(
        self, ids: np.ndarray, today: date
    ) -> dict[tuple[PopularityScope, int], list[tuple[int, int, float]]]:
        assert self.anchor is not None
        scale = float(np.exp2((self.anchor - today.toordinal()) / POPULARITY_HALF_LIFE_DAYS))
        out: dict[tuple[PopularityScope, int], list[tuple[int, int, float]]] = {}
        for scope, (buyers, score) in self.pop.items():
            b = buyers.tocoo()
            s = score.tocsr()
            sc = np.asarray(s[b.row, b.col]).ravel() * scale
            names = {
                PopularityScope.CHAIN: [0],
                PopularityScope.STORE: self.stores.ids,
                PopularityScope.REGION: self.regions.ids,
            }[scope]
            for k in top_per_row(b.row, sc, POPULAR_PER_SCOPE, b.col).tolist():
                key = (scope, int(names[b.row[k]]))
                out.setdefault(key, []).append((int(ids[b.col[k]]), int(b.data[k]), float(sc[k])))
        return out

    def _stats(self, ids: np.ndarray, today: date) -> dict[int, ProductStat]:
        assert self.min_day is not None and self.max_day is not None
        span = np.arange(self.min_day, self.max_day + 1)
        span_doy = _doy(span)
        start = today.timetuple().tm_yday - 1  # the same day of the year, last year
        window = (np.arange(SEASON_WINDOW_DAYS) + start) % 366
        in_window = np.isin(span_doy, window)
        window_days = int(in_window.sum())
        total = self.doy_hist.sum(axis=1).astype(np.float64)
        win = self.doy_hist[:, window].sum(axis=1).astype(np.float64)
        if window_days and span.size:
            lift = (win / window_days) / np.maximum(total / span.size, 1e-12)
        else:
            lift = np.ones(ids.shape[0])
        hist = self.gap_hist.tocsr()
        hist.sort_indices()
        out: dict[int, ProductStat] = {}
        for k, pid in enumerate(ids.tolist()):
            lo, hi = hist.indptr[k], hist.indptr[k + 1]
            counts = hist.data[lo:hi]
            n = int(counts.sum())
            med = None
            if n:  # the bin (half days) where the cumulated count reaches half
                at = int(np.searchsorted(np.cumsum(counts), (n + 1) / 2))
                med = float(hist.indices[lo + at]) / 2.0
            fd = int(self.first_day[k])
            out[pid] = ProductStat(
                first_sold_on=None if fd == _NO_DAY else date.fromordinal(fd),
                seasonal_lift=float(lift[k]),
                replenishable=n > 0,
                median_gap_days=med,
            )
        return out
