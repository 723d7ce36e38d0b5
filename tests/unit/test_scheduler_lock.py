"""Two schedulers firing the same job in the same slot: it runs once."""

from __future__ import annotations

from domain.cache import MemoryCache
from workers.scheduler import JOBS, build_scheduler, once_per_slot


async def test_second_scheduler_skips_a_fired_slot():
    cache = MemoryCache()  # shared, as Redis is between scheduler processes
    fired = []
    first = once_per_slot(cache, "tier-batch", 3600, lambda: fired.append("a"))
    second = once_per_slot(cache, "tier-batch", 3600, lambda: fired.append("b"))
    assert await first() is True and await second() is False
    assert fired == ["a"]
    other_job = once_per_slot(cache, "points-expire", 3600, lambda: fired.append("c"))
    assert await other_job() is True and fired == ["a", "c"]


def test_every_job_is_scheduled_with_its_lock():
    scheduler = build_scheduler(MemoryCache())
    assert sorted(j.id for j in scheduler.get_jobs()) == sorted(job[0] for job in JOBS)
