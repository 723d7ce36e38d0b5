"""A member's ranked feed, cached (``FEED_CACHE_TTL_S``; 0 turns it off).

One entry per member, ``feed:<member id>``, holding the ``FeedMember.version`` it was
ranked at and the ranked items. It is served only while that version is current: the
rebuild, the order-time refresh and every signal write (dismiss, mute, preference) bump
the version in their transaction, so product items are never stale. Offers (claimable
coupons, today's campaign, expiring points) change without a version bump: they are as
old as the entry at most, i.e. ``FEED_CACHE_TTL_S``; ``forget`` (the outbox's member hook,
after any mutation of the member and any event naming them, a coupon claim included)
drops the entry sooner.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import orjson

from domain.cache import Cache

log = logging.getLogger(__name__)


def _key(member_id: int) -> str:
    return f"feed:{member_id}"


class FeedCache:
    def __init__(self, cache: Cache, ttl_s: int) -> None:
        self.cache, self.ttl_s = cache, ttl_s

    async def get(self, member_id: int, version: int) -> list[Any] | None:
        if not self.ttl_s:
            return None
        stored = await self.cache.get(_key(member_id))
        if stored is None:
            return None
        tag, _, payload = stored.partition("\n")
        if tag != str(version):
            return None
        try:
            items = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return None
        return items if isinstance(items, list) else None

    async def put(self, member_id: int, version: int, items: list[Any]) -> None:
        if not self.ttl_s:
            return
        payload = f"{version}\n{orjson.dumps(items).decode()}"
        await self.cache.set(_key(member_id), payload, ex=self.ttl_s)

    async def forget(self, member_ids: Iterable[int]) -> None:
        if not self.ttl_s:
            return
        keys = [_key(m) for m in set(member_ids)]
        if keys:
            await self.cache.delete(*keys)
