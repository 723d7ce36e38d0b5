"""argon2id hashing for staff passwords and partner client secrets.

A hash or a check costs tens to hundreds of milliseconds of CPU by design, so the async
callers (``hash_secret_async``, ``verify_secret_async``) run it on a dedicated, bounded
thread pool (``PASSWORD_HASH_THREADS`` per process): argon2-cffi releases the GIL while it
works, so the event loop keeps answering other requests, and a burst of sign-ins queues
for the pool instead of taking every core.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)
_DUMMY = _hasher.hash("not-a-real-password")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored: str | None, secret: str) -> bool:
    """Constant work whether or not the account exists (no user-enumeration by timing)."""
    try:
        return _hasher.verify(stored or _DUMMY, secret) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def _executor(threads: int) -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")
        return _pool


async def verify_secret_async(stored: str | None, secret: str, *, threads: int) -> bool:
    """``verify_secret`` on the password pool (created on first use with ``threads``)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(threads), verify_secret, stored, secret)


async def hash_secret_async(secret: str, *, threads: int) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(threads), hash_secret, secret)
