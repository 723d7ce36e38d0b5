"""Every test module starts from the seeded database.

Rolling each test back is not workable here: the app runs in-process behind httpx's ASGI
transport with its own connections, the PostgreSQL pass has a separate Dramatiq worker
process, and some tests start real server processes. Instead the rows themselves are
copied once and put back after each module that used the database:

* ``snapshot`` copies every table server-side, once when the app starts (the migrated
  database) and again once the session ``seed`` is in (regions, stores, staff, partners).
  PostgreSQL: schema ``seed_snapshot`` (``CREATE TABLE seed_snapshot.t AS SELECT * FROM
  public.t``), as the superuser; the app role cannot even see it. SQLite: ``snap__t``
  tables in the same file, through the app's Tortoise connection.
* ``restore`` waits until the worker is idle (``settle``), then in one transaction empties
  every table and copies the snapshot back. Triggers and foreign keys are off meanwhile
  (PostgreSQL ``session_replication_role = replica``; SQLite ``PRAGMA foreign_keys=OFF``,
  and the append-only guards' DELETE triggers are dropped and re-created inside the
  transaction). Sequences keep counting, so an id is never reused: a stale cache entry
  or token can never name a new row. The cache is flushed and the signing keys reloaded.

``STATS`` records what it cost; conftest prints it at the end of the session.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any

from domain.config import Settings
from tests.pg import PG_ADMIN_URL

SCHEMA = "seed_snapshot"  # PostgreSQL: where the copies live
PREFIX = "snap__"  # SQLite: prefix of the copies, in the same file
SETTLE_WITHIN_S = 10.0  # longest wait for the worker before restoring anyway


@dataclass
class Stats:
    snapshots: int = 0
    snapshot_seconds: float = 0.0
    restores: int = 0
    seconds: float = 0.0  # restore time, settling included
    settle_seconds: float = 0.0
    slowest: float = 0.0
    unsettled: list[str] = field(default_factory=list)  # modules restored with work in flight

    def lines(self) -> list[str]:
        if not self.restores:
            return []
        mean = self.seconds / self.restores
        out = [
            f"isolation: {self.restores} restores of the seeded database, {self.seconds:.2f} s"
            f" in all ({self.settle_seconds:.2f} s waiting for the worker), mean {mean:.3f} s,"
            f" slowest {self.slowest:.3f} s; {self.snapshots} snapshots"
            f" {self.snapshot_seconds:.2f} s"
        ]
        out += [f"isolation: restored with work still in flight after {m}" for m in self.unsettled]
        return out


STATS = Stats()
_tables: dict[str, list[str]] = {}  # database URL -> tables copied (snapshot order)


def _postgres(settings: Settings) -> bool:
    return not settings.db_url.startswith("sqlite")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _admin(settings: Settings) -> Any:
    """A superuser connection to the test database (PostgreSQL)."""
    import asyncpg

    database = settings.db_url.rsplit("/", 1)[1].split("?", 1)[0]
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database
    return await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))


def _sqlite() -> Any:
    from tortoise import connections

    return connections.get("default")


async def snapshot(settings: Settings) -> None:
    """Copy every table's rows as they are now; ``restore`` puts them back."""
    started = time.monotonic()
    if _postgres(settings):
        conn = await _admin(settings)
        try:
            rows = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
            tables = [r["tablename"] for r in rows]
            copies = "".join(
                f"CREATE TABLE {SCHEMA}.{_q(t)} AS SELECT * FROM public.{_q(t)};"  # noqa: S608
                for t in tables
            )
            await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA};")
            await conn.execute(copies)
        finally:
            await conn.close()
    else:
        client = _sqlite()
        rows = await client.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE ? ORDER BY 1",
            [PREFIX + "%"],
        )
        tables = [r["name"] for r in rows]
        copy = "CREATE TABLE {} AS SELECT * FROM {};"
        script = "".join(
            f"DROP TABLE IF EXISTS {_q(PREFIX + t)};" + copy.format(_q(PREFIX + t), _q(t))
            for t in tables
        )
        await client.execute_script(f"BEGIN;{script}COMMIT;")
    _tables[settings.db_url] = tables
    STATS.snapshots += 1
    STATS.snapshot_seconds += time.monotonic() - started


async def restore(settings: Settings) -> None:
    """Put every table back as the last ``snapshot`` found it."""
    tables = _tables[settings.db_url]
    if _postgres(settings):
        conn = await _admin(settings)
        try:
            # DELETE, not TRUNCATE: a TRUNCATE of every table took ~1 s (new files for each
            # table and index), these small tables empty in milliseconds
            empty = "".join(f"DELETE FROM public.{_q(t)};" for t in tables)  # noqa: S608
            fill = "".join(
                f"INSERT INTO public.{_q(t)} SELECT * FROM {SCHEMA}.{_q(t)};"  # noqa: S608
                for t in tables
            )
            await conn.execute(
                "BEGIN; SET LOCAL session_replication_role = replica;"
                f" SET LOCAL lock_timeout = '20s'; {empty} {fill} COMMIT;"
            )
        finally:
            await conn.close()
        return
    client = _sqlite()
    async with client.acquire_connection() as conn:  # holds Tortoise's lock throughout
        guards = await conn.execute_fetchall(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name NOT LIKE ?",
            (PREFIX + "%",),
        )
        guards = [(name, sql) for name, sql in guards if _on_delete(sql)]
        drop = "".join(f"DROP TRIGGER {_q(name)};" for name, _ in guards)
        empty = "".join(f"DELETE FROM {_q(t)};" for t in tables)  # noqa: S608
        fill = "".join(
            f"INSERT INTO {_q(t)} SELECT * FROM {_q(PREFIX + t)};"  # noqa: S608
            for t in tables
        )
        create = "".join(f"{sql};" for _, sql in guards)
        script = (
            f"PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE; {drop} {empty} {fill} {create}"
            " COMMIT; PRAGMA foreign_keys = ON;"
        )
        try:
            await conn.executescript(script)
        except Exception:
            await conn.executescript("ROLLBACK; PRAGMA foreign_keys = ON;")
            raise


def _on_delete(trigger_sql: str) -> bool:
    """Whether a trigger fires on DELETE (``BEFORE DELETE ON``, ``UPDATE OR DELETE ON``)."""
    head = re.split(r"\bON\b", trigger_sql, maxsplit=1, flags=re.IGNORECASE)[0]
    return re.search(r"\bDELETE\b", head, flags=re.IGNORECASE) is not None


async def differences(settings: Settings) -> dict[str, tuple[int, int]]:
    """Tables whose rows differ from the snapshot: name -> (rows not in the snapshot,
    snapshot rows missing). Empty when the database is exactly the snapshot."""
    tables = _tables[settings.db_url]
    out: dict[str, tuple[int, int]] = {}
    if _postgres(settings):
        conn = await _admin(settings)
        try:
            for t in tables:
                live, snap = f"public.{_q(t)}", f"{SCHEMA}.{_q(t)}"
                extra = await conn.fetchval(
                    f"SELECT count(*) FROM (TABLE {live} EXCEPT ALL TABLE {snap}) d"  # noqa: S608
                )
                missing = await conn.fetchval(
                    f"SELECT count(*) FROM (TABLE {snap} EXCEPT ALL TABLE {live}) d"  # noqa: S608
                )
                if extra or missing:
                    out[t] = (extra, missing)
        finally:
            await conn.close()
        return out
    client = _sqlite()
    for t in tables:
        live, snap = _q(t), _q(PREFIX + t)
        extra_q = f"SELECT * FROM {live} EXCEPT SELECT * FROM {snap}"  # noqa: S608
        missing_q = f"SELECT * FROM {snap} EXCEPT SELECT * FROM {live}"  # noqa: S608
        counts = "SELECT (SELECT count(*) FROM ({})), (SELECT count(*) FROM ({})),"
        counts += " (SELECT count(*) FROM {}), (SELECT count(*) FROM {})"
        _, rows = await client.execute_query(counts.format(extra_q, missing_q, live, snap))
        extra, missing, n, m = rows[0]
        if extra or missing or n != m:
            out[t] = (extra, missing)
    return out


def _pending(broker: Any) -> int:
    """Messages waiting or being worked on, delayed ones included (blocking: a thread)."""
    from dramatiq.brokers.stub import StubBroker

    if isinstance(broker, StubBroker):
        return sum(q.unfinished_tasks for q in list(broker.queues.values()))
    if hasattr(broker, "do_qsize"):  # Redis: the queue, its delay queue and unacked messages
        return sum(broker.do_qsize(q) for q in sorted(broker.get_declared_queues()))
    return 0  # RabbitMQ: not used by the in-process suite


async def settle(app: Any, within: float = SETTLE_WITHIN_S) -> bool:
    """Wait until the outbox is relayed and the worker has nothing queued or running, so
    no job writes after a restore; False when ``within`` seconds were not enough."""
    from domain.events import outbox

    deadline = time.monotonic() + within
    quiet = 0
    while True:
        app.state.relay.kick()  # events recorded outside a request have no other kick here
        await app.state.relay.drain()
        busy = await asyncio.to_thread(_pending, app.state.broker)
        busy += await outbox.undispatched_count()
        quiet = 0 if busy else quiet + 1
        if quiet >= 2:  # twice, a beat apart: a finished job's relay may send one more
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)


async def reset(app: Any, settings: Settings, where: str) -> None:
    """Settle, restore the snapshot, and clear what the processes remember of the rows."""
    started = time.monotonic()
    if not await settle(app):
        STATS.unsettled.append(where)
    settled = time.monotonic()
    await restore(settings)
    await app.state.rt.cache.flushdb()
    await app.state.rt.keys.load()  # signing keys a test rotated are gone again
    spent = time.monotonic() - started
    STATS.restores += 1
    STATS.seconds += spent
    STATS.settle_seconds += settled - started
    STATS.slowest = max(STATS.slowest, spent)
