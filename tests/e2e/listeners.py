"""The API processes' listening sockets on a port, read from /proc: does each worker of
``loyalty serve --workers N`` listen on its own socket and serve its share?"""

from __future__ import annotations

import os
import socket
import time
from collections import Counter
from pathlib import Path


def sockets_on(port: int) -> tuple[Counter, Counter]:
    """Server-side sockets on ``port`` by the process holding them: (listening,
    established), read from /proc."""
    states: dict[str, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if int(f[1].rsplit(":", 1)[1], 16) == port:
                states[f"socket:[{f[9]}]"] = f[3]  # 0A listening, 01 established
    listening: Counter = Counter()
    established: Counter = Counter()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            links = [os.readlink(fd) for fd in (proc / "fd").iterdir()]
        except OSError:
            continue
        for link in links:
            if states.get(link) == "0A":
                listening[proc.name] += 1
            elif states.get(link) == "01":
                established[proc.name] += 1
    return listening, established


def _answered(port: int, timeout: float) -> socket.socket | None:
    """A keep-alive connection that got its /healthz answer (None: no answer in time)."""
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError:
        return None
    try:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: api\r\n\r\n")
        if c.recv(4096).startswith(b"HTTP/1.1 200"):
            return c
    except OSError:  # a worker that listens but has not finished starting
        pass
    c.close()
    return None


def wait_until_every_worker_answers(port: int, workers: int, within: float = 90) -> Counter:
    """The listeners of ``port`` once each of ``workers`` processes has one and has
    answered a request on it. /healthz answering means one worker is up; the others may
    still be starting (a listener is bound before the app's start-up runs, and under
    load that start-up takes seconds), so the condition is polled to a deadline."""
    deadline = time.monotonic() + within
    listening: Counter = Counter()
    answered: Counter = Counter()
    while time.monotonic() < deadline:
        listening = sockets_on(port)[0]
        if len(listening) == workers:
            held = [c for _ in range(4 * workers) if (c := _answered(port, 1.0)) is not None]
            answered = sockets_on(port)[1]
            for c in held:
                c.close()
            if set(answered) == set(listening):
                return listening
        time.sleep(0.5)
    raise AssertionError(f"not every worker answers: listening {listening}, served {answered}")


def assert_connections_spread(port: int, workers: int) -> None:
    """Each API process listens on its own socket (SO_REUSEPORT), and 32 keep-alive
    connections opened one after the other land on all of them: with one shared
    socket, one process took 27-29 of 32 here. (Hashing leaves a process fewer than 4
    of 32 about once in 400,000 runs.)"""
    listening = wait_until_every_worker_answers(port, workers)
    assert set(listening.values()) == {1}, listening
    clients = []
    try:
        for _ in range(32):
            c = socket.create_connection(("127.0.0.1", port), timeout=10)
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: api\r\n\r\n")
            assert c.recv(4096).startswith(b"HTTP/1.1 200"), "no answer"
            clients.append(c)
        _, established = sockets_on(port)
        assert set(established) == set(listening), (established, listening)
        assert sum(established.values()) == 32
        assert min(established.values()) >= 4, established
    finally:
        for c in clients:
            c.close()
