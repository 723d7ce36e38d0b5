"""Phase 1's read of the feed rebuild alone: every line of the window streamed by member
(``domain.orders.store.feed_lines.feed_line_chunks``), no training, on a ``bench.feeds_rebuild``
database (built with ``--build-only`` first).

    .venv/bin/python -m bench.feeds_read --members 1000000

Prints the time to the first chunk (PostgreSQL joins and sorts before the first row),
each chunk's wait, the total and the peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from bench.feeds_rebuild import db_name, peak_rss_mb, settings_for


async def main(members: int, lines: int) -> dict:
    from tortoise import Tortoise

    from domain import clock
    from domain.db import tortoise_config
    from domain.feeds.rebuild import LEFT_OUT, window
    from domain.orders.store import feed_lines

    s = settings_for(db_name(members), 50_000)
    await Tortoise.init(config=tortoise_config(s))
    try:
        begin, end = window(clock.now(), s)
        waits: list[float] = []
        total = 0
        t0 = time.perf_counter()
        r0 = t0
        async for chunk in feed_lines.feed_line_chunks(begin, end, LEFT_OUT, lines=lines):
            waits.append(round(time.perf_counter() - r0, 2))
            total += int(chunk[0].size)
            r0 = time.perf_counter()
        return {
            "members": members,
            "lines": total,
            "chunks": len(waits),
            "first_chunk_s": waits[0] if waits else None,
            "chunk_waits_s": waits,
            "total_s": round(time.perf_counter() - t0, 1),
            "peak_rss_mb": round(peak_rss_mb()),
        }
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument("--lines", type=int, default=3_000_000)
    a = p.parse_args()
    print(json.dumps(asyncio.run(main(a.members, a.lines))))
