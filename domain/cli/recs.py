"""Commands that measure the recommendations offline: ``recs-evaluate`` (five methods on
each member's held-out last basket), ``recs-rules`` (association rules of a purchase log)
and ``recs-export`` (this database's orders as such a log)."""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.cli.base import Command, with_db
from domain.config import ConfigError, Settings
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.feeds.evaluate import PurchaseLog


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _bar(desc: str, **kw: Any):
    """A progress bar on stderr when it is a terminal (none in pipes and logs)."""
    from tqdm import tqdm

    return tqdm(desc=desc, file=sys.stderr, disable=None, leave=False, **kw)


def _advance(bar: Any) -> Callable[[int], None]:
    def to(done: int) -> None:
        bar.update(done - bar.n)

    return to


def _read(a: argparse.Namespace) -> PurchaseLog:
    from domain.feeds.evaluate import LogError, read_log

    path = Path(a.file)
    size = path.stat().st_size if path.is_file() else 0
    with _bar("reading", total=size, unit="B", unit_scale=True) as bar:
        try:
            return read_log(path, a.member_col, a.date_col, a.item_col, _advance(bar))
        except LogError as exc:
            raise ConfigError(str(exc)) from None


def cmd_recs_evaluate(s: Settings, a: argparse.Namespace) -> int:
    from domain.feeds.engine import EngineParams
    from domain.feeds.evaluate import evaluate

    if a.k < 1:
        raise ConfigError("--k must be at least 1")
    started = time.perf_counter()
    log = _read(a)
    read_s = time.perf_counter() - started
    if not log.rows:
        raise ConfigError(f"{a.file}: no purchase lines after the header, nothing to evaluate")
    if not log.has_repeat_member():
        raise ConfigError(
            f"{a.file}: no member has two baskets (two dates) or more, so no basket can be "
            "held out; evaluate needs repeat customers"
        )
    with _bar("scoring", unit="member") as bar:
        report = evaluate(log, a.k, EngineParams.from_settings(s), _advance(bar))
    secs = {"read": round(read_s, 3), **report.seconds}
    peak = _peak_rss_mb()
    out = report.as_dict() | {"seconds": secs, "peak_rss_mb": peak}
    if a.json:
        print(json.dumps(out, indent=2))
        return 0
    print(
        f"{report.rows} lines, {report.members} members, {report.items} items, "
        f"{report.baskets} baskets; {report.test_members} members with >= 2 baskets tested "
        f"on their last basket"
    )
    k = report.k
    print(f"{'method':<20}{f'hit@{k}':>10}{f'recall@{k}':>12}{f'ndcg@{k}':>10}{'coverage':>10}")
    for name, m in report.methods.items():
        print(
            f"{name:<20}{m['hit_rate']:>10.4f}{m['recall']:>12.4f}{m['ndcg']:>10.4f}"
            f"{m['coverage']:>10.4f}"
        )
    print(
        f"read {secs['read']:.1f}s, train {secs['train']:.1f}s, score {secs['score']:.1f}s; "
        f"peak memory {peak} MB",
        file=sys.stderr,
    )
    return 0


def cmd_recs_rules(s: Settings, a: argparse.Namespace) -> int:
    from domain.feeds.evaluate import top_rules

    if not 0 < a.min_support <= 1 or not 0 < a.min_confidence <= 1:
        raise ConfigError("--min-support and --min-confidence must be in (0, 1]")
    if a.top < 1:
        raise ConfigError("--top must be at least 1")
    log = _read(a)
    names = log.item_names
    rules = top_rules(log, a.min_support, a.min_confidence)[: a.top]
    rows = [
        {
            "antecedent": names[r.antecedent],
            "consequent": names[r.consequent],
            "support": r.support,
            "confidence": r.confidence,
            "lift": r.lift,
            "baskets": r.baskets,
        }
        for r in rules
    ]
    if a.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    head = f"{'support':>10}{'confidence':>12}{'lift':>8}{'baskets':>9}"
    print(f"{'antecedent -> consequent':<48}{head}")
    for r in rows:
        pair = f"{r['antecedent']} -> {r['consequent']}"
        print(
            f"{pair:<48}{r['support']:>10.5f}{r['confidence']:>12.4f}{r['lift']:>8.3f}"
            f"{r['baskets']:>9}"
        )
    print(f"{len(rows)} rules", file=sys.stderr)
    return 0


EXPORT_CHUNK_MEMBERS = 50_000  # member ids read at a time: memory bounded by a chunk


def cmd_recs_export(s: Settings, a: argparse.Namespace) -> int:
    if a.days < 1:
        raise ConfigError("--days must be at least 1")

    async def job(rt: Runtime) -> int:
        return await _export(a.days, Path(a.file))

    rows = with_db(s, job)
    print(f"{rows} lines written to {a.file} (columns member,date,item,name)")
    return 0


async def _export(days: int, path: Path) -> int:
    """Members' paid orders of the last ``days`` days, one line per product not wholly
    refunded (member id, Asia/Shanghai business day, product SKU and name), written as
    they are read: the orders store's feed reads, a chunk of member ids at a time. Left
    out, as the nightly rebuild leaves them out of training: members who turned
    personalisation off (PIPL art. 24: their history is not for training), merged and
    erased members, walk-in orders. Audited (action ``recs.export``, the rows written)."""
    import numpy as np

    from domain import clock
    from domain.audit import services as audit
    from domain.auth.model import ANONYMOUS
    from domain.catalog import services as catalog
    from domain.cli.access import _operator as operator
    from domain.feeds.store import build
    from domain.members.model import Status as MemberStatus
    from domain.orders.store import feed_lines

    end = clock.now()
    start = end - timedelta(days=days)
    left_out = (MemberStatus.MERGED.value, MemberStatus.ERASED.value)
    products: dict[int, tuple[str, str]] = {}
    rows = 0
    span = await feed_lines.feed_member_span(start, end)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["member", "date", "item", "name"])
        lo, hi = (span[0], span[1] + 1) if span else (0, 0)
        for a in range(lo, hi, EXPORT_CHUNK_MEMBERS):
            b = min(a + EXPORT_CHUNK_MEMBERS, hi)
            member, day, item, _store = await feed_lines.feed_lines_of_members(
                a, b, start, end, left_out
            )
            off = await build.not_personalised(a, b)
            if off and member.size:
                keep = ~np.isin(member, np.asarray(off, np.int64))
                member, day, item = member[keep], day[keep], item[keep]
            missing = sorted(set(np.unique(item).tolist()) - products.keys())
            for p in await catalog.get_many(missing) if missing else []:
                if p is not None:
                    products[p.id] = (p.sku, p.name)
            for m, d, i in zip(member.tolist(), day.tolist(), item.tolist(), strict=True):
                if i in products:
                    sku, name = products[i]
                    out.writerow((m, date.fromordinal(d).isoformat(), sku, name))
                    rows += 1
    await audit.record(ANONYMOUS, "recs.export", "orders", "", rows=rows, days=days, **operator())
    return rows


def _log_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a CSV file with a header row: one line per item bought")
    p.add_argument("--member-col", required=True, help="the member's column")
    p.add_argument("--date-col", required=True, help="the day's column (ISO or day-first)")
    p.add_argument("--item-col", required=True, help="the item's column")
    p.add_argument("--json", action="store_true", help="print JSON")


def _evaluate_arguments(p: argparse.ArgumentParser) -> None:
    _log_arguments(p)
    p.add_argument("--k", type=int, default=10, help="list length scored (default 10)")


def _rules_arguments(p: argparse.ArgumentParser) -> None:
    _log_arguments(p)
    p.add_argument("--min-support", type=float, required=True, help="share of all baskets")
    p.add_argument("--min-confidence", type=float, required=True, help="share of antecedent's")
    p.add_argument("--top", type=int, default=20, help="rules shown, best lift first")


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the CSV file to write")
    p.add_argument("--days", type=int, default=3660, help="orders paid in the last DAYS days")


COMMANDS = {
    "recs-evaluate": Command(
        cmd_recs_evaluate,
        "score popularity, personal frequency, rules, item neighbours and the production "
        "blend on each member's held-out last basket of a purchase CSV",
        _evaluate_arguments,
    ),
    "recs-rules": Command(
        cmd_recs_rules, "association rules of a purchase CSV, best lift first", _rules_arguments
    ),
    "recs-export": Command(
        cmd_recs_export,
        "write this database's member orders as a member,date,item CSV for recs-evaluate",
        _export_arguments,
    ),
}
