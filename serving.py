"""How the API runs as processes: uvicorn, and with several workers one listening socket
per worker (``loyalty serve``; the bench serves its raw baseline the same way)."""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import multiprocess

log = logging.getLogger("loyalty.server")

HTTP_OPTIONS: dict[str, Any] = {
    # Client addresses come from TRUSTED_PROXY_HOPS alone (server.client_ip). uvicorn's own
    # proxy headers would trust X-Forwarded-For from 127.0.0.1 (FORWARDED_ALLOW_IPS) even
    # with no proxy configured, letting any local caller pick the address that per-IP
    # limits count.
    "proxy_headers": False,
    "access_log": False,  # the access middleware logs every request with its request id
    "timeout_graceful_shutdown": 20,
    # a worker still importing does not answer the supervisor's ping: on a loaded machine
    # start-up took over uvicorn's default 5 s, and the worker was killed as hung
    "timeout_worker_healthcheck": 30,
}


def serve_http(
    host: str, port: int, workers: int, *, reuse_port: bool = True, app: str = "server:app"
) -> int:
    """Serve ``app`` with uvicorn until a signal stops it (``loyalty serve``; the bench
    serves its raw baseline this way too, so both run on the same process model).

    Several workers on Linux each listen on a socket of their own in one SO_REUSEPORT
    group (``HTTP_REUSE_PORT``), and the kernel hashes every new connection to one of
    them. With uvicorn's single shared socket the process that wakes first accepts a
    whole burst of connections and keep-alive clients stay on it: under the bench's
    32 connections one of two workers served nearly every request.
    """
    options = {"host": host, "port": port, "workers": workers, **HTTP_OPTIONS}
    if workers == 1 or not (reuse_port and sys.platform == "linux"):
        uvicorn.run(app, **options)
        return 0
    try:  # a stale server on the port would otherwise share the group without a word
        _listener(host, port, reuse_port=False).close()
    except OSError as exc:
        print(f"loyalty serve: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return STARTUP_FAILURE
    print(f"{app} on http://{host}:{port}: {workers} processes, a listener each", flush=True)
    shared = multiprocess.Process
    # the class uvicorn's supervisor starts workers with (it has no option for it)
    multiprocess.Process = OwnListener  # type: ignore[misc]  # swapped for this run
    try:
        multiprocess.Multiprocess(uvicorn.Config(app, **options), sockets=[]).run()
    finally:
        multiprocess.Process = shared  # type: ignore[misc]  # restored
    return 0


def _listener(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class OwnListener(multiprocess.Process):
    """A uvicorn worker with a listener of its own in the SO_REUSEPORT group (it joins
    the group when it starts listening, after the app's start-up)."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            sock = _listener(self.config.host, self.config.port, reuse_port=True)
        except OSError as exc:
            log.error("cannot listen on %s:%s: %s", self.config.host, self.config.port, exc)
            sys.exit(STARTUP_FAILURE)  # the supervisor stops instead of restarting it
        super().target([sock])
