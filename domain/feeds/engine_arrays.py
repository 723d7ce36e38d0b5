"""Vectorised helpers shared by the trainer and the member models. Pure numpy."""

from __future__ import annotations

import numpy as np


def group_starts(*keys: np.ndarray) -> np.ndarray:
    """Boolean: True where a row starts a new group of equal keys (rows already sorted)."""
    n = keys[0].shape[0]
    start = np.zeros(n, dtype=bool)
    if n:
        start[0] = True
        for k in keys:
            start[1:] |= k[1:] != k[:-1]
    return start


def sort_order(*keys: np.ndarray) -> np.ndarray:
    """Indices that sort rows by ``keys`` (the first the most significant), not stable:
    one argsort of a combined int64 key when the keys' ranges fit in 62 bits (several
    times faster than ``np.lexsort``), else ``np.lexsort``."""
    n = keys[0].shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    combined = np.zeros(n, dtype=np.int64)
    span = 1
    for k in keys:
        lo, hi = int(k.min()), int(k.max())
        width = hi - lo + 1
        span *= width
        if span >= 2**62:
            return np.lexsort(tuple(reversed(keys)))
        combined *= width
        combined += k.astype(np.int64) - lo
    return np.argsort(combined)


def median_gaps(
    member: np.ndarray, item: np.ndarray, day: np.ndarray, min_purchases: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per (member, item) bought on at least ``min_purchases`` distinct days: the median
    gap in days between consecutive purchase days. Returns (member, item, purchases,
    median gap, last day), sorted by member then item."""
    order = sort_order(member, item, day)
    m, it, d = member[order], item[order], day[order]
    keep = group_starts(m, it, d)  # distinct (member, item, day)
    m, it, d = m[keep], it[keep], d[keep]
    start = group_starts(m, it)
    gid = np.cumsum(start) - 1
    counts = np.bincount(gid) if gid.size else np.zeros(0, dtype=np.int64)
    first = np.flatnonzero(start)
    last_idx = np.append(first[1:], m.shape[0]) - 1 if first.size else first
    ok = counts >= max(2, min_purchases)
    # gaps: within a group, day[i] - day[i-1] for every non-first row
    inner = ~start
    gaps = (d[1:] - d[:-1])[inner[1:]] if d.size else d
    ggid = gid[inner]
    order2 = sort_order(ggid, gaps)
    gaps = gaps[order2].astype(np.float64)
    n_gaps = counts - 1
    offsets = np.concatenate(([0], np.cumsum(n_gaps)[:-1])) if counts.size else counts
    sel = np.flatnonzero(ok)
    lo = offsets[sel] + (n_gaps[sel] - 1) // 2
    hi = offsets[sel] + n_gaps[sel] // 2
    med = (gaps[lo] + gaps[hi]) / 2.0 if sel.size else np.zeros(0)
    return (
        m[first[sel]],
        it[first[sel]],
        counts[sel],
        med,
        d[last_idx[sel]],
    )


def top_per_row(
    rows: np.ndarray, score: np.ndarray, k: int, tie: np.ndarray | None = None
) -> np.ndarray:
    """Indices of the ``k`` best scores of every row value, sorted by row then best
    first (equal scores: lower ``tie`` first, else the order given)."""
    if tie is None:
        tie = np.arange(rows.shape[0])
    # the scores' dense ranks (best first) make one int64 key with the row and the tie
    _, score_rank = np.unique(-score, return_inverse=True)
    order = sort_order(rows, score_rank.reshape(-1), tie)
    r = rows[order]
    start = group_starts(r)
    first_of = np.maximum.accumulate(np.where(start, np.arange(r.shape[0]), 0))
    rank = np.arange(r.shape[0]) - first_of
    return order[rank < k]
