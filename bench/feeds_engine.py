"""The feed engine alone, on purchases generated in-process (no database).

    .venv/bin/python -m bench.feeds_engine --members 200000 --products 20000
    .venv/bin/python -m bench.feeds_engine --members 200000 --doc-members 20000

The same shape as ``bench.feeds_population`` (orders geometric with mean 6 a year, lines
1 + Poisson(4), half of them from the member's 8 staples, half Zipf-like over the
catalogue; 200 categories): ~30 lines per member. Steps, each with its wall time, CPU
time (the machine is shared: CPU time is the steadier figure) and peak RSS (VmHWM, reset
before each step through /proc/self/clear_refs):

* train: ``Trainer.add`` in chunks of ``--train-chunk`` member ids (as phase 1 reads them);
* finish: ``Trainer.finish``;
* documents: ``member_models`` in chunks of 5,000 members (as a range job) over the first
  ``--doc-members`` members (all by default), documents serialised (``dumps``).

Results are appended to ``bench/results/feeds_engine.jsonl``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from bench.feeds_population import CATEGORIES, LINES_MEAN, ORDERS_MEAN, STAPLES, _popularity
from bench.harness import append
from domain.feeds.engine import EngineParams, Purchases, Trainer, member_models

TODAY = date(2026, 12, 1)
STORES = 50


def generate(members: int, products: int, seed: int = 17) -> Purchases:
    """~30 lines per member, sorted by member; member ids 1..members, products 1..n."""
    rng = np.random.default_rng(seed)
    cdf = _popularity(products)
    home = rng.integers(0, STORES, members)
    staples = np.minimum(np.searchsorted(cdf, rng.random((members, STAPLES))), products - 1)
    per_member = rng.geometric(1 / (ORDERS_MEAN + 1), members) - 1
    o_member = np.repeat(np.arange(members), per_member)
    k = o_member.shape[0]
    o_day = TODAY.toordinal() - rng.integers(0, 365, k)
    o_store = np.where(rng.random(k) < 0.8, home[o_member], rng.integers(0, STORES, k))
    per_order = 1 + rng.poisson(LINES_MEAN - 1, k)
    l_order = np.repeat(np.arange(k), per_order)
    m = l_order.shape[0]
    pick = np.where(
        rng.random(m) < 0.5,
        staples[o_member[l_order], rng.integers(0, STAPLES, m)],
        np.minimum(np.searchsorted(cdf, rng.random(m)), products - 1),
    )
    return Purchases(
        member=(o_member[l_order] + 1).astype(np.int64),
        day=o_day[l_order].astype(np.int32),
        item=(pick + 1).astype(np.int32),
        store=(o_store[l_order] + 1).astype(np.int32),
    )


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def _spans(member: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Line offsets of chunks of ``size`` member ids (lines sorted by member)."""
    hi = int(member.max()) + 1
    bounds = np.searchsorted(member, np.arange(1, hi + size, size))
    return [(int(a), int(b)) for a, b in itertools.pairwise(bounds) if b > a]


def run(members: int, products: int, train_chunk: int, doc_members: int) -> dict:
    out: dict = {"members": members, "products": products}
    t0 = time.perf_counter()
    data = generate(members, products)
    out["lines"] = len(data)
    out["generate_s"] = round(time.perf_counter() - t0, 1)
    category_of = {p: f"类{p % 20}/子类{p % CATEGORIES}" for p in range(1, products + 1)}
    params = EngineParams()
    regions = {s: s % 5 for s in range(1, STORES + 1)}

    _reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    trainer = Trainer(params, store_region=regions)
    for a, b in _spans(data.member, train_chunk):
        trainer.add(data.take(slice(a, b)))
    out["train_s"] = round(time.perf_counter() - t0, 1)
    out["train_cpu_s"] = round(time.process_time() - c0, 1)
    out["train_peak_mb"] = round(_peak_mb())

    _reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    model = trainer.finish(TODAY)
    del trainer
    out["finish_s"] = round(time.perf_counter() - t0, 1)
    out["finish_cpu_s"] = round(time.process_time() - c0, 1)
    out["finish_peak_mb"] = round(_peak_mb())
    out["neighbours"] = sum(len(v) for v in model.neighbours.values())
    out["rules"] = sum(len(v) for v in model.rules.values())

    _reset_peak()
    sample = data.take(slice(0, int(np.searchsorted(data.member, doc_members + 1))))
    t0, c0 = time.perf_counter(), time.process_time()
    docs = 0
    for a, b in _spans(sample.member, 5_000):
        for _m, doc in member_models(sample.take(slice(a, b)), model, TODAY, params, category_of):
            doc.dumps()
            docs += 1
    took = time.perf_counter() - t0
    cpu = time.process_time() - c0
    out["doc_members"] = docs
    out["documents_cpu_s"] = round(cpu, 1)
    out["cpu_ms_per_member"] = round(1000 * cpu / max(docs, 1), 3)
    out["documents_s"] = round(took, 1)
    out["ms_per_member"] = round(1000 * took / max(docs, 1), 3)
    out["documents_peak_mb"] = round(_peak_mb())
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--members", type=int, default=200_000)
    p.add_argument("--products", type=int, default=20_000)
    p.add_argument("--train-chunk", type=int, default=100_000)
    p.add_argument("--doc-members", type=int, default=0, help="0: every member")
    p.add_argument("--label", default="")
    a = p.parse_args(argv)
    r = run(a.members, a.products, a.train_chunk, a.doc_members or a.members)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    row = {
        "bench": "feeds_engine",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "label": a.label,
        **r,
    }
    append("feeds_engine", row)
    print(json.dumps(row, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
