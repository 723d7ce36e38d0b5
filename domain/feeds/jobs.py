"""Scheduled feed jobs: the nightly rebuild's first phase (which announces one
``feeds.rebuild_range`` event per member range; the workers run the ranges), a range,
and the order-time refresh of one member. Each is idempotent: a range runs once by its
row; a refresh recomputes the member from their history, so running it again is
harmless."""

from __future__ import annotations

import logging
from collections.abc import Callable

from domain.config import Settings
from domain.feeds import rebuild, refresh
from domain.feeds.rebuild import TOPIC_REBUILD_RANGE

log = logging.getLogger("loyalty.feeds")
__all__ = ["TOPIC_REBUILD_RANGE", "nightly", "range_job", "refresh_member"]


async def nightly(settings: Settings, progress: Callable[[str], None] = log.info) -> int:
    """Phase 1 of tonight's rebuild; its ranges go out as events. Returns the rebuild id."""
    started = await rebuild.start(settings, announce=True, progress=progress)
    return started.rebuild_id


async def range_job(
    settings: Settings, range_id: int, progress: Callable[[str], None] = log.info
) -> int | None:
    """One range of a rebuild (nothing when it is done already)."""
    return await rebuild.run_range(settings, range_id, progress=progress)


async def refresh_member(settings: Settings, member_id: int) -> int | None:
    """The member's document again, after an order or a refund."""
    return await refresh.member(settings, member_id)
