"""argon2id hashing for staff passwords and partner client secrets.

A hash or a check costs tens to hundreds of milliseconds of CPU by design, so the async
callers (``hash_secret_async``, ``verify_secret_async``) run it on a dedicated, bounded
thread pool (``PASSWORD_HASH_THREADS`` per process, by default half the cores).
argon2-cffi releases the GIL while it works, so the event loop keeps answering other
requests. The pool's threads run at a lower priority, and at most as many sign-ins again
may wait for a thread (``turn``): more are answered at once with ``RateLimited``
instead of queueing, so a burst of sign-ins can never hold every GraphQL slot of the
process (``GRAPHQL_MAX_IN_FLIGHT``) while it waits.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import RateLimited

_hasher = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)
_DUMMY = _hasher.hash("not-a-real-password")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_in_turn = 0  # sign-ins hashing or waiting for a thread (one event loop per process)


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored: str | None, secret: str) -> bool:
    """Constant work whether or not the account exists (no user-enumeration by timing)."""
    try:
        _hasher.verify(stored or _DUMMY, secret)  # True or raises
        return stored is not None
    except (VerificationError, InvalidHashError):
        return False


def _lower_priority() -> None:
    """Hashing threads (and the lanes argon2 starts from them) yield the CPU to the event
    loop: a burst of sign-ins waits a little longer, every other request does not."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _NICE)
    except (AttributeError, OSError):  # not Linux, or not allowed: run at normal priority
        pass


_NICE = 10


def _size(threads: int) -> int:
    return threads or max(1, (os.cpu_count() or 2) // 2)


@asynccontextmanager
async def turn(threads: int) -> AsyncIterator[None]:
    """A place among the sign-ins this process hashes now or next (twice the pool's
    size), or ``RateLimited`` at once when they are all taken."""
    global _in_turn
    if _in_turn >= 2 * _size(threads):
        raise RateLimited("Too many sign-ins at once: try again in a moment.", retry_after_s=1)
    _in_turn += 1
    try:
        yield
    finally:
        _in_turn -= 1


def _executor(threads: int) -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            size = _size(threads)
            _pool = ThreadPoolExecutor(
                max_workers=size, thread_name_prefix="argon2", initializer=_lower_priority
            )
        return _pool


async def verify_secret_async(stored: str | None, secret: str, *, threads: int) -> bool:
    """``verify_secret`` on the password pool (created on first use with ``threads``)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(threads), verify_secret, stored, secret)


async def hash_secret_async(secret: str, *, threads: int) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(threads), hash_secret, secret)
