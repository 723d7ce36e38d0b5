"""Access-token revocation, checked on every request without a database round trip.

Two kinds of entry live in the runtime cache (Redis in production; the in-memory cache
in the embedded single process):

* ``auth:nbf:<subject>``: a per-subject "not before". A token of that subject whose
  ``iat`` is earlier is refused. Set when a staff account or a partner is deactivated.
* ``auth:fam:<family>``: a session (refresh-token family) that ended. A token issued in
  it (its ``fam`` claim) is refused. Set by ``signOut`` and when a refresh token is
  replayed.

Both outlive the longest access token, then expire by themselves.

With Redis each process keeps a local mirror of these entries: it subscribes to the
``auth:revocations`` channel, loads the existing entries, and from then on applies
every revocation announced by any process (the announcing process applies its own at
once). While the mirror is live a check is a dictionary lookup; until it is (start-up,
a lost connection: it reconnects and reloads), a check is one ``MGET``. When even that
fails the token is let through with a warning a minute (tokens live minutes; failing
closed would sign out every caller whenever Redis blinks). The in-memory cache is read
directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref

from domain import clock
from domain.auth.model import Principal
from domain.cache import Cache, MemoryCache
from domain.config import Settings
from domain.errors import InvalidAccessToken

log = logging.getLogger("loyalty.auth")

CHANNEL = "auth:revocations"
_NBF = "auth:nbf:"
_FAMILY = "auth:fam:"
_SLACK_S = 120  # beyond the token lifetime and the clock leeway
_WARN_EVERY_S = 60.0  # one warning a minute while the cache is unreachable, not one a request
_RECONNECT_S = 1.0
_warned_at = -_WARN_EVERY_S


def _ttl(s: Settings) -> int:
    return max(s.access_token_ttl_s, s.partner_token_ttl_s) + _SLACK_S


async def revoke_subject(cache: Cache, s: Settings, subject: str) -> None:
    """Refuse every token of ``subject`` issued until now (``iat`` < now + 1 s)."""
    await _put(cache, _NBF + subject, int(clock.now().timestamp()) + 1, _ttl(s))


async def end_session(cache: Cache, s: Settings, family: str) -> None:
    """Refuse every access token issued in this refresh-token family."""
    await _put(cache, _FAMILY + family, 1, _ttl(s))


async def _put(cache: Cache, key: str, value: int, ttl: int) -> None:
    await cache.set(key, value, ex=ttl)
    mirror = _mirrors.get(cache)
    if mirror is not None:
        mirror.put(key, str(value), ttl)  # this process: at once
    publish = getattr(cache, "publish", None)
    if publish is not None and not isinstance(cache, MemoryCache):
        await publish(CHANNEL, f"{ttl} {value} {key}")  # every other process


async def check(cache: Cache, p: Principal) -> None:
    """Raise ``InvalidAccessToken`` when the token of ``p`` was revoked."""
    keys = [_NBF + p.subject]
    if p.session:
        keys.append(_FAMILY + p.session)
    mirror = _mirror(cache)
    if mirror is not None and mirror.live:
        values = [mirror.get(k) for k in keys]
    else:
        try:
            values = await cache.mget(keys)
        except Exception as exc:  # any cache failure: see the module docstring
            _warn(exc)
            return
    not_before = values[0]
    if not_before is not None and p.issued_at < int(not_before):
        raise InvalidAccessToken("revoked")
    if len(values) > 1 and values[1] is not None:
        raise InvalidAccessToken("session ended")


async def stop(cache: Cache) -> None:
    """Stop this cache's mirror (a process shutting down its runtime)."""
    mirror = _mirrors.pop(cache, None)
    if mirror is not None:
        await mirror.stop()


def _warn(exc: Exception) -> None:
    global _warned_at
    if time.monotonic() - _warned_at >= _WARN_EVERY_S:
        _warned_at = time.monotonic()
        log.warning("revocation check degraded: cache unavailable (%s)", type(exc).__name__)


# --- the per-process mirror (Redis only) -------------------------------------------------

_mirrors: weakref.WeakKeyDictionary[Cache, _Mirror] = weakref.WeakKeyDictionary()


def _mirror(cache: Cache) -> _Mirror | None:
    if isinstance(cache, MemoryCache) or not hasattr(cache, "pubsub"):
        return None
    mirror = _mirrors.get(cache)
    if mirror is None:
        mirror = _mirrors[cache] = _Mirror(cache)
    mirror.start()
    return mirror


class _Mirror:
    """The revocation entries of the cache, in this process, kept by pub/sub."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache
        self._entries: dict[str, tuple[str, float]] = {}  # key -> (value, expires, monotonic)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.live = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self.live, self._stopping = False, True
        if self._task is not None:
            self._task.cancel()  # the loop also ends by itself within a second
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout=3)

    def get(self, key: str) -> str | None:
        item = self._entries.get(key)
        if item is None:
            return None
        if item[1] <= time.monotonic():
            self._entries.pop(key, None)
            return None
        return item[0]

    def put(self, key: str, value: str, ttl: float) -> None:
        now = time.monotonic()
        if len(self._entries) > 50_000:  # forget expired entries now and then
            self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
        self._entries[key] = (value, now + ttl)

    async def _run(self) -> None:
        while not self._stopping:
            pubsub = self._cache.pubsub()  # type: ignore[attr-defined]  # Redis only (_mirror)
            try:
                await pubsub.subscribe(CHANNEL)  # first, so nothing after the load is missed
                self._entries = await self._load()
                self.live = True
                while not self._stopping:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                    if message is not None:
                        self._apply(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # lost the connection: fall back to reads, reconnect
                if self._stopping:
                    return
                _warn(exc)
            finally:
                self.live = False
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            if not self._stopping:
                await asyncio.sleep(_RECONNECT_S)

    async def _load(self) -> dict[str, tuple[str, float]]:
        cache = self._cache
        scan = cache.scan_iter(match="auth:*", count=1000)  # type: ignore[attr-defined]  # Redis only
        keys = [k async for k in scan]
        loaded: dict[str, tuple[str, float]] = {}
        now = time.monotonic()
        for start in range(0, len(keys), 500):
            chunk = [k for k in keys[start : start + 500] if k.startswith((_NBF, _FAMILY))]
            async with cache.pipeline(transaction=False) as pipe:  # type: ignore[attr-defined]  # Redis
                for key in chunk:
                    pipe.get(key)
                    pipe.ttl(key)
                answers = await pipe.execute()
            for key, value, ttl in zip(chunk, answers[::2], answers[1::2], strict=True):
                if value is not None and ttl != -2:
                    loaded[key] = (value, now + (ttl if ttl > 0 else _SLACK_S))
        return loaded

    def _apply(self, data: str) -> None:
        ttl, value, key = data.split(" ", 2)
        if key.startswith((_NBF, _FAMILY)):
            self.put(key, value, float(ttl))
