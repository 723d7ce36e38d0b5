"""The cache: Redis in production, an in-memory twin in the embedded default.

``MemoryCache`` implements the subset of ``redis.asyncio.Redis`` (created with
``decode_responses=True``) that the platform uses, with the same signatures and
return values, so services are written once against the Redis API. It is
correct only inside one process, which is exactly the embedded default.
"""

from __future__ import annotations

import asyncio
from time import monotonic
from typing import Any, Protocol, cast

from domain.config import Settings


class Cache(Protocol):
    async def get(self, name: str) -> str | None: ...
    async def mget(self, keys: list[str]) -> list[str | None]: ...
    async def set(
        self, name: str, value: Any, ex: int | None = None, nx: bool = False
    ) -> bool | None: ...
    async def incr(self, name: str, amount: int = 1) -> int: ...
    async def expire(self, name: str, time: int) -> bool: ...
    async def ttl(self, name: str) -> int: ...
    async def delete(self, *names: str) -> int: ...
    async def ping(self) -> bool: ...
    async def aclose(self) -> None: ...


class MemoryCache:
    """Single-process stand-in for Redis (strings only, with expiry)."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}
        self._lock = asyncio.Lock()

    def _live(self, name: str) -> tuple[str, float | None] | None:
        item = self._data.get(name)
        if item is not None and item[1] is not None and item[1] <= monotonic():
            del self._data[name]
            return None
        return item

    async def get(self, name: str) -> str | None:
        item = self._live(name)
        return None if item is None else item[0]

    async def mget(self, keys: list[str]) -> list[str | None]:
        return [await self.get(k) for k in keys]

    async def set(
        self, name: str, value: Any, ex: int | None = None, nx: bool = False
    ) -> bool | None:
        if nx and self._live(name) is not None:
            return None
        self._data[name] = (str(value), monotonic() + ex if ex else None)
        return True

    async def incr(self, name: str, amount: int = 1) -> int:
        async with self._lock:
            item = self._live(name)
            value = int(item[0]) + amount if item else amount
            self._data[name] = (str(value), item[1] if item else None)
            return value

    async def expire(self, name: str, time: int) -> bool:  # redis's own parameter name
        item = self._live(name)
        if item is None:
            return False
        self._data[name] = (item[0], monotonic() + time)
        return True

    async def ttl(self, name: str) -> int:
        item = self._live(name)
        if item is None:
            return -2
        if item[1] is None:
            return -1
        return max(0, round(item[1] - monotonic()))

    async def delete(self, *names: str) -> int:
        return sum(1 for n in names if self._data.pop(n, None) is not None)

    async def ping(self) -> bool:
        return True

    async def flushdb(self) -> bool:
        self._data.clear()
        return True

    async def aclose(self) -> None:
        self._data.clear()


def create_cache(settings: Settings) -> Cache:
    if not settings.redis_url:
        return MemoryCache()
    from redis.asyncio import Redis

    # redis types replies as bytes | str whatever decode_responses says: with it, str
    return cast(Cache, Redis.from_url(settings.redis_url, decode_responses=True))


async def hit(cache: Cache, key: str, window_s: int) -> tuple[int, int]:
    """Count one event in a fixed window; returns (count so far, seconds left). A count
    given back (``incr(key, -1)``) after its window ended leaves a key without expiry: it
    gets the window here, so no counter lives for ever."""
    await cache.set(key, 0, ex=window_s, nx=True)
    count = await cache.incr(key)
    left = await cache.ttl(key)
    if left == -1:
        await cache.expire(key, window_s)
        left = window_s
    return count, max(left, 1)
