"""The in-memory cache behaves like Redis for what we use."""

from __future__ import annotations

from domain.cache import MemoryCache, hit


async def test_memory_cache_set_nx_incr_ttl():
    c = MemoryCache()
    assert await c.set("k", 1, ex=10, nx=True)
    assert await c.set("k", 2, nx=True) is None
    assert await c.get("k") == "1"
    assert await c.incr("k") == 2
    assert 0 < await c.ttl("k") <= 10
    assert await c.ttl("missing") == -2
    assert await c.delete("k", "missing") == 1


async def test_hit_counts_a_window():
    c = MemoryCache()
    assert [(await hit(c, "w", 60))[0] for _ in range(3)] == [1, 2, 3]
