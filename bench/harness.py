"""Plumbing shared by the HTTP scenarios: ports, servers as process groups, the CPU of
a server's process tree, one load run, medians."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
FIGURES = ("rps", "p50_ms", "p99_ms", "cpu_ms_per_req")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(argv: list[str], env: dict[str, str], port: int, log: Path, listeners: int = 1):
    """Run ``argv`` in its own process group until it answers on ``port`` with all its
    ``listeners`` (one per worker: a load started before the last is up would land on
    the others only); stop it after."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{argv[0]} exited:\n{log.read_text()[-2000:]}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                if listening(port) >= listeners:
                    break
                raise httpx.ConnectError("not every worker listens yet")
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    tail = log.read_text()[-2000:]
                    raise SystemExit(f"{argv[0]} did not start:\n{tail}") from None
                time.sleep(0.3)
        yield proc
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def listening(port: int) -> int:
    """Listening TCP sockets on ``port`` (each worker has its own: ``serving.serve_http``)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for f in map(str.split, lines) if f[3] == "0A" and f[1].endswith(f":{port:04X}"))


def tree_cpu_s(root: int) -> float:
    """utime + stime of ``root`` and every descendant (uvicorn's workers), in seconds."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(p for p, parent in parents.items() if parent == pid)
    return total


def drive(label: str, proc: subprocess.Popen, target: str, reqs: Path, a, tag: str = "") -> dict:
    """One closed-loop load run from its own process (``bench.load``) against ``target``;
    its figures plus the server tree's CPU milliseconds per answered request."""
    before = tree_cpu_s(proc.pid)
    argv = [sys.executable, "-m", "bench.load", "--url", target, "--requests-file", str(reqs)]
    argv += ["--duration", str(a.duration), "--connections", str(a.connections), "--tag", tag]
    out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"load generator failed against {label}:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout)
    result["cpu_ms_per_req"] = round(
        (tree_cpu_s(proc.pid) - before) * 1000 / max(1, result["requests"]), 3
    )
    print(f"  {label:16} {result}", flush=True)
    return result


def medians(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in FIGURES if k in runs[0]}


def append(name: str, row: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / f"{name}.jsonl").open("a") as f:
        f.write(json.dumps(row) + "\n")
