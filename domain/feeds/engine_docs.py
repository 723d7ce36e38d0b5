"""The members' documents built from a chunk's scored arrays (``engine_score``): as
``MemberModel`` objects, or serialised straight to the JSON ``MemberModel.dumps`` writes
(the nightly rebuild's path: no Candidate objects). Pure."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import orjson

from domain.feeds.engine_compiled import Compiled
from domain.feeds.model import Candidate, FeedKind, MemberModel, Rhythm

# candidate kinds in the order they are offered (ties between kinds go to the first)
_BT, _SM, _SE, _NEW = 0, 1, 2, 3
_KINDS = [
    FeedKind.BOUGHT_TOGETHER,
    FeedKind.SIMILAR_MEMBERS,
    FeedKind.SEASONAL,
    FeedKind.NEW_IN_FAVOURITE_CATEGORY,
]


def _bounds(rows: np.ndarray, n: int) -> list[int]:
    return list(np.searchsorted(rows, np.arange(n + 1)).tolist())


def documents(
    mids: np.ndarray,
    best: tuple[np.ndarray, ...],
    comp: Compiled,
    rhythms: tuple[np.ndarray, ...],
    recent: tuple[np.ndarray, np.ndarray, np.ndarray],
    favourite: tuple[np.ndarray, list[str]],
    as_json: bool,
) -> list[Any]:
    n = mids.shape[0]
    m, col, score, kind, pf, pi = best
    pid = comp.pids[col].tolist() if col.size else []
    ru_ante = comp.ru_ante.tolist()
    ru_conf = comp.ru_conf.tolist()
    ru_lift = comp.ru_lift.tolist()
    kd = kind.tolist()
    f = pf.tolist()
    i = pi.tolist()
    parts = [
        {"neighbours": f[x]}
        if kd[x] == _SM
        else {"confidence": ru_conf[i[x]], "lift": ru_lift[i[x]], "recency": f[x]}
        if kd[x] == _BT
        else {"seasonal_lift": f[x]}
        if kd[x] == _SE
        else {"category_rank": f[x]}
        for x in range(len(kd))
    ]
    refs = [
        i[x] if kd[x] == _SM else ru_ante[i[x]] if kd[x] == _BT else None for x in range(len(kd))
    ]
    if as_json:
        return _json_documents(
            mids, (m, pid, kd, score.tolist(), parts, refs), rhythms, recent, favourite
        )
    # map(): the candidates are most of a document's objects
    cands = list(map(Candidate, pid, [_KINDS[x] for x in kd], score.tolist(), parts, refs))
    days: dict[int, date] = {}

    def on(o: int) -> date:
        d = days.get(o)
        if d is None:
            d = days[o] = date.fromordinal(o)
        return d

    r_member, r_item, r_n, r_med, r_last = rhythms
    rh = [
        Rhythm(it, k, g, on(last))
        for it, k, g, last in zip(
            r_item.tolist(), r_n.tolist(), r_med.tolist(), r_last.tolist(), strict=True
        )
    ]
    rb = _bounds(np.searchsorted(mids, r_member), n)
    rc_m, rc_item, rc_day = recent
    rc = list(zip(rc_item.tolist(), [on(d) for d in rc_day.tolist()], strict=True))
    rcb = _bounds(rc_m, n)
    fav_m, fav_names = favourite
    fb = _bounds(fav_m, n)
    cb = _bounds(m, n)
    return [
        (
            mid,
            MemberModel(
                candidates=cands[cb[k] : cb[k + 1]],
                rhythms=rh[rb[k] : rb[k + 1]],
                recent=dict(rc[rcb[k] : rcb[k + 1]]),
                favourite_categories=fav_names[fb[k] : fb[k + 1]],
            ),
        )
        for k, mid in enumerate(mids.tolist())
    ]


def _json_documents(
    mids: np.ndarray,
    cands: tuple[Any, ...],
    rhythms: tuple[np.ndarray, ...],
    recent: tuple[np.ndarray, np.ndarray, np.ndarray],
    favourite: tuple[np.ndarray, list[str]],
) -> list[tuple[int, str]]:
    """The documents as ``MemberModel.dumps`` writes them."""
    n = mids.shape[0]
    m, pid, kd, score, parts, refs = cands
    kinds = [k.value for k in _KINDS]
    c = [
        [p, kinds[k], round(s, 6), pa, r]
        for p, k, s, pa, r in zip(pid, kd, score, parts, refs, strict=True)
    ]
    r_member, r_item, r_n, r_med, r_last = rhythms
    rh = [
        list(x)
        for x in zip(r_item.tolist(), r_n.tolist(), r_med.tolist(), r_last.tolist(), strict=True)
    ]
    rc_m, rc_item, rc_day = recent
    rc = [list(x) for x in zip(rc_item.tolist(), rc_day.tolist(), strict=True)]
    fav_m, fav_names = favourite
    cb, rb = _bounds(m, n), _bounds(np.searchsorted(mids, r_member), n)
    rcb, fb = _bounds(rc_m, n), _bounds(fav_m, n)
    dumps = orjson.dumps
    return [
        (
            mid,
            dumps(
                {
                    "c": c[cb[k] : cb[k + 1]],
                    "r": rh[rb[k] : rb[k + 1]],
                    "b": rc[rcb[k] : rcb[k + 1]],
                    "f": fav_names[fb[k] : fb[k + 1]],
                }
            ).decode(),
        )
        for k, mid in enumerate(mids.tolist())
    ]
