"""The production scheduler process: ``loyalty scheduler``."""

from __future__ import annotations

import asyncio
import logging

from domain import db
from domain.config import get_settings
from domain.migrations import ensure_migrated
from domain.runtime import Runtime
from workers.broker import bind_actors, make_broker
from workers.runtime import set_runtime
from workers.scheduler import build_scheduler


async def _main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper())
    await db.open_on_this_loop(settings)
    await ensure_migrated(settings)  # and, in production, a role that owns nothing
    rt = Runtime.build(settings)
    set_runtime(rt)
    bind_actors(make_broker(settings), settings)
    scheduler = build_scheduler(rt.cache)
    scheduler.start()
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown(wait=False)
        await db.close()


if __name__ == "__main__":
    asyncio.run(_main())
