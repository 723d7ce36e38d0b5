"""The global model compiled for ``member_models``: dense product columns, neighbours
and rules as CSR arrays, seasonal lifts; the catalogue lists (new and seasonal products
per category). Compiled once per model object (a range job scores all its chunks with
one model). Pure."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from domain.feeds.engine_types import EngineParams, GlobalModel

SEASONAL_MIN_LIFT = 1.5
NEW_PER_CATEGORY = 3


@dataclass
class Compiled:
    """The global model as arrays over dense product columns (sorted product ids)."""

    pids: np.ndarray  # column -> product id, ascending
    nb_ptr: np.ndarray  # CSR rows per column: the product's neighbours, best first
    nb_col: np.ndarray
    nb_cos: np.ndarray
    ru_ptr: np.ndarray  # CSR rows per column: rules with it as antecedent, best lift first
    ru_col: np.ndarray
    ru_conf: np.ndarray
    ru_lift: np.ndarray
    ru_ante: np.ndarray  # the rule's antecedent (product id)
    lift: np.ndarray  # seasonal lift per column (0 without stats)
    lists: (
        tuple[tuple[object, ...], tuple[dict[str, list[int]], dict[str, list[tuple[int, float]]]]]
        | None
    ) = None

    def cols(self, pids: np.ndarray) -> np.ndarray:
        """Columns of product ids; -1 for products the model does not know."""
        if not self.pids.size:
            return np.full(pids.shape[0], -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.pids, pids), self.pids.shape[0] - 1)
        return np.where(self.pids[pos] == pids, pos, -1)


def _csr(
    compiled_cols: np.ndarray, rows: np.ndarray, n: int, *values: np.ndarray
) -> tuple[np.ndarray, ...]:
    """CSR over ``n`` rows from (row, col, values...) in list order within a row: (row
    pointers, rows, cols, values...)."""
    order = np.argsort(rows, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
    return (ptr, rows[order], compiled_cols[order], *(v[order] for v in values))


def _compile(model: GlobalModel) -> Compiled:
    ids: set[int] = set(model.neighbours) | set(model.rules) | set(model.stats)
    nb_rows = [(a, nb, cos) for a, nbs in model.neighbours.items() for nb, cos, _ in nbs]
    ru_rows = [(a, r.consequent, r.confidence, r.lift) for a, rs in model.rules.items() for r in rs]
    ids.update(nb for _, nb, _ in nb_rows)
    ids.update(c for _, c, _, _ in ru_rows)
    pids = np.asarray(sorted(ids), dtype=np.int64)
    n = pids.shape[0]

    def col(values: list[int]) -> np.ndarray:
        return np.searchsorted(pids, np.asarray(values, dtype=np.int64)).astype(np.int64)

    nb_ptr, _, nb_col, nb_cos = _csr(
        col([x[1] for x in nb_rows]),
        col([x[0] for x in nb_rows]),
        n,
        np.asarray([x[2] for x in nb_rows], dtype=np.float64),
    )
    ru_ptr, ru_row, ru_col, ru_conf, ru_lift = _csr(
        col([x[1] for x in ru_rows]),
        col([x[0] for x in ru_rows]),
        n,
        np.asarray([x[2] for x in ru_rows], dtype=np.float64),
        np.asarray([x[3] for x in ru_rows], dtype=np.float64),
    )
    lift = np.zeros(n, dtype=np.float64)
    if model.stats:
        lift[col(list(model.stats))] = [s.seasonal_lift for s in model.stats.values()]
    return Compiled(
        pids, nb_ptr, nb_col, nb_cos, ru_ptr, ru_col, ru_conf, ru_lift, pids[ru_row], lift
    )


# the last model compiled (a range job calls member_models per chunk with one model)
_last: tuple[weakref.ref[GlobalModel], Compiled] | None = None


def compiled(model: GlobalModel) -> Compiled:
    global _last
    if _last is not None and _last[0]() is model:
        return _last[1]
    c = _compile(model)
    _last = (weakref.ref(model), c)
    return c


def expand(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For CSR row pointers and a list of rows: (which input entry, position in the CSR
    arrays) of every stored value of those rows, entry by entry in stored order."""
    lens = ptr[rows + 1] - ptr[rows]
    src = np.repeat(np.arange(rows.shape[0]), lens)
    ends = np.cumsum(lens)
    pos = np.arange(int(ends[-1]) if ends.size else 0) - np.repeat(ends - lens, lens)
    return src, ptr[rows][src] + pos


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


def lists(
    comp: Compiled,
    model: GlobalModel,
    today: date,
    params: EngineParams,
    category_of: Mapping[int, str],
) -> tuple[dict[str, list[int]], dict[str, list[tuple[int, float]]]]:
    """``_catalogue_lists``, kept with the compiled model for the calls of one range."""
    key = (today, params.new_product_days, category_of)
    held = comp.lists[0] if comp.lists is not None else None
    if held is None or held[:2] != key[:2] or held[2] is not category_of:
        lists = _catalogue_lists(model, today, params, category_of)
        comp.lists = (key, lists)
        return lists
    return comp.lists[1]  # type: ignore[index]
