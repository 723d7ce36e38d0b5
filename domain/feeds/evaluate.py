"""Offline proof for the recommendations (``loyalty recs-evaluate`` / ``recs-rules``): read
a member,date,item CSV in bounded memory (integer codes in numpy arrays), hold out each
member's last basket (members with >= 2 baskets), train the production engine on the rest
and score five methods on the held-out baskets: hit-rate@k, recall@k, NDCG@k, coverage.

Every method's list is filled up to k with the chain's popular products (the feed would
show them too), so the figures compare what a member would actually see."""

from __future__ import annotations

import csv
import math
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import numpy as np

from domain.feeds.engine import (
    EngineParams,
    GlobalModel,
    Purchases,
    Rule,
    Trainer,
    blend,
    member_models,
)
from domain.feeds.engine_arrays import group_starts
from domain.feeds.engine_member import BASKET_DECAY, RECENT_BASKETS
from domain.feeds.model import PopularityScope

METHODS = ("popularity", "personal_frequency", "rules", "item_neighbours", "blend")
CHUNK_LINES = 200_000  # lines per trainer chunk (cut at member boundaries)
_SHANGHAI = ZoneInfo("Asia/Shanghai")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y%m%d")

Progress = Callable[[int], None]  # bytes read so far


class LogError(ValueError):
    """The file cannot be read as a purchase log (one line for the user)."""


@dataclass
class PurchaseLog:
    member: np.ndarray  # int64 codes
    day: np.ndarray  # int32 date ordinals
    item: np.ndarray  # int32 codes into item_names
    item_names: list[str]
    members: int

    def purchases(self) -> Purchases:
        return Purchases(self.member, self.day, self.item)

    @property
    def rows(self) -> int:
        return int(self.member.shape[0])

    def has_repeat_member(self) -> bool:
        """Does some member buy on two days or more (a basket can be held out)?"""
        if not self.rows:
            return False
        first = np.full(self.members, np.iinfo(np.int64).max, dtype=np.int64)
        last = np.full(self.members, -1, dtype=np.int64)
        np.minimum.at(first, self.member, self.day)
        np.maximum.at(last, self.member, self.day)
        return bool((last > first).any())


def parse_day(text: str) -> int | None:
    """A business day's ordinal from an ISO date or time (with an offset: its day in
    Asia/Shanghai) or a day-first date; None when it is none of them."""
    text = text.strip()
    try:
        if len(text) > 10:
            t = datetime.fromisoformat(text)
            return (t.astimezone(_SHANGHAI) if t.tzinfo else t).date().toordinal()
        return date.fromisoformat(text).toordinal()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().toordinal()
        except ValueError:
            continue
    return None


def _lines(f: BinaryIO, progress: Progress | None) -> Iterator[str]:
    done = 0
    for n, raw in enumerate(f):
        done += len(raw)
        if progress is not None and n % 65536 == 0:
            progress(done)
        yield raw.decode("utf-8-sig" if n == 0 else "utf-8", errors="replace")
    if progress is not None:
        progress(done)


def read_log(
    path: Path, member_col: str, date_col: str, item_col: str, progress: Progress | None = None
) -> PurchaseLog:
    """Stream the CSV into integer arrays (members and items coded in order of first sight,
    dates parsed once per distinct text)."""
    if not path.is_file():
        raise LogError(f"{path}: no such file")
    with path.open("rb") as f:
        return _read_rows(path, csv.reader(_lines(f, progress)), member_col, date_col, item_col)


def _read_rows(
    path: Path, reader: Any, member_col: str, date_col: str, item_col: str
) -> PurchaseLog:
    header = next(reader, None)
    if header is None:
        raise LogError(f"{path}: the file is empty")
    header = [h.strip() for h in header]
    cols = []
    for name in (member_col, date_col, item_col):
        if name not in header:
            raise LogError(f"{path}: no column {name!r} (columns: {', '.join(header)})")
        cols.append(header.index(name))
    mi, di, ii = cols
    width = max(cols) + 1
    members: dict[str, int] = {}
    items: dict[str, int] = {}
    days: dict[str, int] = {}
    m_arr, d_arr, i_arr = array("q"), array("i"), array("i")
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) < width:
            raise LogError(f"{path}: line {reader.line_num} has {len(row)} fields, not {width}")
        d_text = row[di]
        d = days.get(d_text)
        if d is None:
            parsed = parse_day(d_text)
            if parsed is None:
                raise LogError(f"{path}: line {reader.line_num}: {d_text!r} is not a date")
            d = days[d_text] = parsed
        m_text, i_text = row[mi].strip(), row[ii].strip()
        if not m_text or not i_text:
            raise LogError(f"{path}: line {reader.line_num}: empty member or item")
        m_arr.append(members.setdefault(m_text, len(members)))
        i_arr.append(items.setdefault(i_text, len(items)))
        d_arr.append(d)
    return PurchaseLog(
        member=np.frombuffer(m_arr, dtype=np.int64).copy(),
        day=np.frombuffer(d_arr, dtype=np.int32).copy(),
        item=np.frombuffer(i_arr, dtype=np.int32).copy(),
        item_names=list(items),
        members=len(members),
    )


def train(purchases: Purchases, params: EngineParams, today: date) -> GlobalModel:
    """The production trainer over ``purchases`` in chunks that never split a member."""
    order = np.argsort(purchases.member, kind="stable")
    p = purchases.take(order)
    starts = np.flatnonzero(group_starts(p.member))
    trainer = Trainer(params)
    lo = 0
    while lo < len(p):
        cut = int(np.searchsorted(starts, lo + CHUNK_LINES))
        hi = int(starts[cut]) if cut < starts.shape[0] else len(p)
        trainer.add(p.take(slice(lo, hi)))
        lo = hi
    return trainer.finish(today)


def top_rules(log: PurchaseLog, min_support: float, min_confidence: float) -> list[Rule]:
    """Every rule above both thresholds, best lift first (ties: more support first)."""
    params = EngineParams(
        min_support=min_support,
        min_confidence=min_confidence,
        neighbours_per_item=max(1, len(log.item_names)),
    )
    today = date.fromordinal(int(log.day.max())) if log.day.size else date.today()
    model = train(log.purchases(), params, today)
    rules = [r for rs in model.rules.values() for r in rs]
    rules.sort(key=lambda r: (-r.lift, -r.support, r.antecedent, r.consequent))
    return rules


@dataclass
class Scores:
    hits: int = 0
    recall: float = 0.0
    ndcg: float = 0.0
    shown: set[int] = field(default_factory=set)

    def add(self, ranked: list[int], target: set[int]) -> None:
        found = [i for i, p in enumerate(ranked) if p in target]
        self.hits += bool(found)
        self.recall += len(found) / len(target)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(target), len(ranked))))
        self.ndcg += sum(1 / math.log2(i + 2) for i in found) / ideal if ideal else 0.0
        self.shown.update(ranked)


def _fill(ranked: list[int], popular: list[int], k: int) -> list[int]:
    out = list(dict.fromkeys(ranked))[:k]
    seen = set(out)
    for p in popular:
        if len(out) >= k:
            break
        if p not in seen:
            out.append(p)
            seen.add(p)
    return out


def _personal(items: list[int], days: list[int]) -> list[int]:
    times = Counter(items)
    last: dict[int, int] = {}
    for it, d in zip(items, days, strict=True):
        last[it] = max(d, last.get(it, d))
    return sorted(times, key=lambda it: (-times[it], -last[it], it))


def _rules_only(items: list[int], days: list[int], model: GlobalModel) -> list[int]:
    recent = sorted(set(days), reverse=True)[:RECENT_BASKETS]
    weight = {d: BASKET_DECAY**n for n, d in enumerate(recent)}
    score: dict[int, float] = {}
    for it, d in zip(items, days, strict=True):
        w = weight.get(d)
        if w is not None:
            for r in model.rules.get(it, ()):
                score[r.consequent] = max(score.get(r.consequent, 0.0), w * r.confidence)
    return sorted(score, key=lambda p: (-score[p], p))


def _neighbours_only(items: list[int], model: GlobalModel) -> list[int]:
    score: dict[int, float] = {}
    for it, n in Counter(items).items():
        w = math.log1p(n)
        for nb, cos, _ in model.neighbours.get(it, ()):
            score[nb] = score.get(nb, 0.0) + w * cos
    return sorted(score, key=lambda p: (-score[p], p))


@dataclass
class Report:
    k: int
    rows: int
    members: int
    items: int
    baskets: int
    test_members: int
    methods: dict[str, dict[str, float]]
    seconds: dict[str, float]

    def as_dict(self) -> dict[str, object]:
        return {
            "k": self.k,
            "rows": self.rows,
            "members": self.members,
            "items": self.items,
            "baskets": self.baskets,
            "test_members": self.test_members,
            "methods": self.methods,
            "seconds": self.seconds,
        }


def evaluate(
    log: PurchaseLog,
    k: int = 10,
    params: EngineParams | None = None,
    progress: Progress | None = None,
) -> Report:
    """Hold out each member's last basket, train on the rest, score the five methods.
    ``progress`` gets the number of test members scored so far."""
    params = params or EngineParams()
    started = time.perf_counter()
    # distinct (member, item, day), sorted by member then day
    order = np.lexsort((log.item, log.day, log.member))
    member, day, item = log.member[order], log.day[order], log.item[order]
    keep = group_starts(member, day, item)
    member, day, item = member[keep], day[keep], item[keep]
    baskets = int(group_starts(member, day).sum())
    last_day = np.full(log.members, -1, dtype=np.int64)
    first_day = np.full(log.members, np.iinfo(np.int64).max, dtype=np.int64)
    np.maximum.at(last_day, member, day)
    np.minimum.at(first_day, member, day)
    tested = last_day > first_day  # two baskets or more
    held = tested[member] & (day == last_day[member])
    model = train(
        Purchases(member[~held], day[~held], item[~held]),
        params,
        date.fromordinal(int(day.max())),
    )
    trained = time.perf_counter()
    chain = model.popularity.get((PopularityScope.CHAIN, 0), [])
    popular = [(p, s) for p, _, s in chain]
    popular_ids = [p for p, _ in popular]
    scores = {name: Scores() for name in METHODS}

    # test members' history, grouped by their held-out day (member_models takes one day)
    h_member, h_item = member[held], item[held]
    t_mask = tested[member] & ~held
    t_member, t_day, t_item = member[t_mask], day[t_mask], item[t_mask]
    t_order = np.lexsort((t_day, t_member, last_day[t_member]))
    t_member, t_day, t_item = t_member[t_order], t_day[t_order], t_item[t_order]
    target_start = np.flatnonzero(group_starts(h_member))
    targets = {
        int(h_member[s]): set(h_item[s:e].tolist())
        for s, e in zip(
            target_start.tolist(), [*target_start[1:].tolist(), h_member.shape[0]], strict=True
        )
    }
    groups = np.flatnonzero(group_starts(last_day[t_member]))
    done = 0
    for s, e in zip(groups.tolist(), [*groups[1:].tolist(), t_member.shape[0]], strict=True):
        today = date.fromordinal(int(last_day[t_member[s]]))
        chunk = Purchases(t_member[s:e], t_day[s:e], t_item[s:e])
        docs = dict(member_models(chunk, model, today, params, {}))
        starts = np.flatnonzero(group_starts(chunk.member))
        for ms, me in zip(starts.tolist(), [*starts[1:].tolist(), e - s], strict=True):
            m = int(chunk.member[ms])
            items, days = chunk.item[ms:me].tolist(), chunk.day[ms:me].tolist()
            target = targets[m]
            ranked = {
                "popularity": popular_ids,
                "personal_frequency": _personal(items, days),
                "rules": _rules_only(items, days, model),
                "item_neighbours": _neighbours_only(items, model),
                "blend": [c.product_id for c in blend(docs[m], popular, today, params)],
            }
            for name, ids in ranked.items():
                scores[name].add(_fill(ids, popular_ids, k), target)
            done += 1
        if progress is not None:
            progress(done)
    n = max(done, 1)
    n_items = max(len(log.item_names), 1)
    return Report(
        k=k,
        rows=int(log.member.shape[0]),
        members=log.members,
        items=len(log.item_names),
        baskets=baskets,
        test_members=done,
        methods={
            name: {
                "hit_rate": sc.hits / n,
                "recall": sc.recall / n,
                "ndcg": sc.ndcg / n,
                "coverage": len(sc.shown) / n_items,
            }
            for name, sc in scores.items()
        },
        seconds={
            "train": round(trained - started, 3),
            "score": round(time.perf_counter() - trained, 3),
        },
    )
