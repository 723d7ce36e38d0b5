"""The member-home response cache: a member's own query answers, reused for a few
seconds (``HOME_CACHE_TTL_S``; 0, the default, turns it off). This module alone knows its
keys; which documents qualify is the API's to say (``resolvers.home``: only queries a
*member* sends whose every root field is ``me``).

An answer is keyed by the member and a digest of the document, operation name and
variables. Each member has a generation — a random token — and every answer is stored
with the generation read *before* it was computed; an answer is served only while its
generation is current. ``forget`` draws a new generation after a change has committed,
so an answer computed from the old data, even one stored after the change, is never
served again.

``install`` makes ``forget`` the outbox's member hook: it runs for the members named in
the events a mutation records (before its response leaves) and for the caller of any
member mutation, and when the relay claims events recorded anywhere else (workers,
batches). A change that records no event for the member — a till redeeming a coupon,
staff adjusting points, the nightly expiry jobs — shows once the answer's TTL ends. The
scan code in a cached answer is the one minted with it: valid for at least
SCAN_CODE_TTL_S − HOME_CACHE_TTL_S more seconds.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from domain.cache import Cache
from domain.events import outbox

GENERATION_TTL_FACTOR = 10  # a generation outlives every answer stored under it


@dataclass(frozen=True)
class Slot:
    member_id: int
    entry: str  # the answer's key
    generation: str  # the member's generation when the lookup was made


class HomeCache:
    def __init__(self, cache: Cache, ttl_s: int) -> None:
        self.cache, self.ttl_s = cache, ttl_s

    def slot(
        self, member_id: int, query: str, operation: str | None, variables: dict | None
    ) -> Slot | None:
        """Where the answer to this request of the member would be cached; None when the
        cache is off. (Whether the document may be cached at all: ``resolvers.home``.)"""
        if not self.ttl_s:
            return None
        blob = json.dumps([query, operation, variables or {}], sort_keys=True, default=str)
        digest = hashlib.sha256(blob.encode()).hexdigest()[:32]
        return Slot(member_id, f"home:{member_id}:{digest}", "")

    async def lookup(self, slot: Slot) -> tuple[Any | None, Slot]:
        """The cached answer (or None) and the slot bound to the current generation."""
        generation, stored = await self.cache.mget([_generation_key(slot.member_id), slot.entry])
        generation = generation or "-"
        bound = Slot(slot.member_id, slot.entry, generation)
        if stored is not None:
            tag, _, payload = stored.partition("\n")
            if tag == generation:
                return orjson.loads(payload), bound
        return None, bound

    async def store(self, slot: Slot, data: Any) -> None:
        payload = f"{slot.generation}\n{orjson.dumps(data).decode()}"
        await self.cache.set(slot.entry, payload, ex=self.ttl_s)

    async def forget(self, member_ids: Iterable[int]) -> None:
        """Nothing cached for these members before now is served again."""
        if not self.ttl_s:
            return
        for member_id in set(member_ids):
            await self.cache.set(
                _generation_key(member_id),
                secrets.token_hex(8),
                ex=self.ttl_s * GENERATION_TTL_FACTOR,
            )


def _generation_key(member_id: int) -> str:
    return f"home-gen:{member_id}"


MemberListener = Callable[[set[int]], Awaitable[None]]


def install(home: HomeCache, *also: MemberListener) -> None:
    """Events recorded for members (once committed) forget their cached answers here,
    then tell ``also`` (other per-member caches: the feed's) the same members."""

    async def forget(member_ids: set[int]) -> None:
        await home.forget(member_ids)
        for listener in also:
            await listener(member_ids)

    outbox.on_member_events(forget)
