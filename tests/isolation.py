"""Every test module starts from the seeded database.

Rolling each test back is not workable here: the app runs in-process behind httpx's ASGI
transport with its own connections, the PostgreSQL pass has a separate Dramatiq worker
process, and some tests start real server processes. Instead the rows themselves are
copied once and put back after each module that used the database:

* ``snapshot`` copies every table server-side, once when the app starts (the migrated
  database) and again once the session ``seed`` is in (regions, stores, staff, partners),
  into temporary tables (``CREATE TEMP TABLE ... AS SELECT * FROM t``) of a connection
  kept for the session: on PostgreSQL a superuser's (tests/pg.py), on SQLite the app's
  own Tortoise connection (as ``temp.snap__t``). No other connection sees them, and the
  database itself holds nothing but the app's tables (``pg_dump`` and the SQLite file read
  by tests/api/test_pii_at_rest.py have no copies in them).
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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from domain.config import Settings
from tests.pg import PG_ADMIN_URL

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
_tables: dict[str, list[str]] = {}  # database URL -> tables copied
_admins: dict[str, Any] = {}  # database URL -> the PostgreSQL connection holding the copies


def _postgres(settings: Settings) -> bool:
    return not settings.db_url.startswith("sqlite")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _live(settings: Settings, table: str) -> str:
    return ("public." if _postgres(settings) else "main.") + _q(table)


def _copy(settings: Settings, table: str) -> str:
    # SQLite resolves an unqualified name in ``temp`` first, and the copy lives on the
    # app's own connection: a prefix keeps the app's queries off it
    return "pg_temp." + _q(table) if _postgres(settings) else "temp." + _q("snap__" + table)


async def _admin(settings: Settings) -> Any:
    """The superuser connection to the PostgreSQL test database that holds the copies,
    kept for the session."""
    import asyncpg

    conn = _admins.get(settings.db_url)
    if conn is None:
        database = settings.db_url.rsplit("/", 1)[1].split("?", 1)[0]
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        _admins[settings.db_url] = conn
    return conn


async def close() -> None:
    """Close the kept connections (their copies go with them)."""
    while _admins:
        _, conn = _admins.popitem()
        await conn.close()


def _sqlite() -> Any:
    from tortoise import connections

    return connections.get("default")


async def _script(settings: Settings, sql: str) -> None:
    if _postgres(settings):
        await (await _admin(settings)).execute(sql)
    else:
        await _sqlite().execute_script(sql)


async def snapshot(app: Any) -> None:
    """Once the worker is idle, copy every table's rows as they are; ``restore`` puts
    them back."""
    await settle(app)
    settings = app.state.settings
    started = time.monotonic()
    if _postgres(settings):
        rows = await (await _admin(settings)).fetch(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        )
    else:
        rows = await _sqlite().execute_query_dict(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    tables = sorted(r["name"] for r in rows)
    copy = "DROP TABLE IF EXISTS {0}; CREATE TEMP TABLE {0} AS SELECT * FROM {1};"
    sql = "".join(copy.format(_copy(settings, t), _live(settings, t)) for t in tables)
    await _script(settings, f"BEGIN; {sql} COMMIT;")
    _tables[settings.db_url] = tables
    STATS.snapshots += 1
    STATS.snapshot_seconds += time.monotonic() - started


async def restore(settings: Settings) -> None:
    """Put every table back as the last ``snapshot`` found it."""
    tables = _tables[settings.db_url]
    # DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of every table took ~1 s (new files
    # for each table and index), these small tables empty in milliseconds
    empty = "".join(f"DELETE FROM {_live(settings, t)};" for t in tables)  # noqa: S608
    fill = "".join(
        f"INSERT INTO {_live(settings, t)} SELECT * FROM {_copy(settings, t)};"  # noqa: S608
        for t in tables
    )
    if _postgres(settings):
        await _script(
            settings,
            "BEGIN; SET LOCAL session_replication_role = replica;"  # no triggers, no FK checks
            f" SET LOCAL lock_timeout = '20s'; {empty} {fill} COMMIT;",
        )
        return
    client = _sqlite()
    fk = client.pragmas.get("foreign_keys", "ON")  # what Tortoise set on its connection
    async with client.acquire_connection() as conn:  # holds Tortoise's lock throughout
        triggers = await conn.execute_fetchall(
            "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger'"
        )
        guards = [(name, sql) for name, sql in triggers if _on_delete(sql)]
        drop = "".join(f"DROP TRIGGER main.{_q(name)};" for name, _ in guards)
        create = "".join(f"{sql};" for _, sql in guards)
        try:
            await conn.executescript(
                f"PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE; {drop} {empty} {fill} {create}"
                f" COMMIT; PRAGMA foreign_keys = {fk};"
            )
        except Exception:
            await conn.executescript(f"ROLLBACK; PRAGMA foreign_keys = {fk};")
            raise


def _on_delete(trigger_sql: str) -> bool:
    """Whether a trigger fires on DELETE (``BEFORE DELETE ON``, ``UPDATE OR DELETE ON``)."""
    head = re.split(r"\bON\b", trigger_sql, maxsplit=1, flags=re.IGNORECASE)[0]
    return re.search(r"\bDELETE\b", head, flags=re.IGNORECASE) is not None


async def differences(settings: Settings) -> dict[str, tuple[int, int]]:
    """Tables whose rows differ from the snapshot: name -> (rows not in the snapshot,
    snapshot rows missing). Empty when the database is exactly the snapshot."""
    out: dict[str, tuple[int, int]] = {}
    # SQLite has no EXCEPT ALL: its EXCEPT drops duplicates, so compare the counts too
    minus = "EXCEPT ALL" if _postgres(settings) else "EXCEPT"
    for t in _tables[settings.db_url]:
        live, copy = _live(settings, t), _copy(settings, t)
        extra = f"SELECT * FROM {live} {minus} SELECT * FROM {copy}"  # noqa: S608
        gone = f"SELECT * FROM {copy} {minus} SELECT * FROM {live}"  # noqa: S608
        n, m = f"SELECT count(*) FROM {live}", f"SELECT count(*) FROM {copy}"  # noqa: S608
        sql = "SELECT (SELECT count(*) FROM ({}) AS d) AS extra,"
        sql += " (SELECT count(*) FROM ({}) AS d) AS gone, ({}) AS n, ({}) AS m"
        sql = sql.format(extra, gone, n, m)
        if _postgres(settings):
            row = dict(await (await _admin(settings)).fetchrow(sql))
        else:
            row = (await _sqlite().execute_query_dict(sql))[0]
        if row["extra"] or row["gone"] or row["n"] != row["m"]:
            out[t] = (row["extra"], row["gone"])
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


async def reset(app: Any, where: str) -> None:
    """Settle, restore the snapshot, and clear what the processes remember of the rows."""
    started = time.monotonic()
    if not await settle(app):
        STATS.unsettled.append(where)
    settled = time.monotonic()
    await restore(app.state.settings)
    await app.state.rt.cache.flushdb()
    await app.state.rt.keys.load()  # signing keys a test rotated are gone again
    spent = time.monotonic() - started
    STATS.restores += 1
    STATS.seconds += spent
    STATS.settle_seconds += settled - started
    STATS.slowest = max(STATS.slowest, spent)


_running: dict[str, Any] = {}  # the session's app while it runs


@asynccontextmanager
async def session(app: Any) -> AsyncIterator[None]:
    """The session's app, copied as migrated (modules before ``seed`` go back to that)."""
    await snapshot(app)
    _running["app"] = app
    try:
        yield
    finally:
        _running.pop("app", None)
        await close()


@pytest.fixture(scope="module", autouse=True)
async def module_starts_from_the_seed(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After a module whose tests used the database, every table is put back as the
    session ``seed`` left it, so the next module sees only the seed. Modules that never
    asked for ``settings`` (unit tests) neither create the app nor reset anything."""
    yield
    app = _running.get("app")
    if app is not None and any(
        "settings" in item.fixturenames
        for item in request.session.items
        if item.getparent(pytest.Module) is request.node
    ):
        await reset(app, request.node.nodeid)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The cost of the resets, at the end of the session (imported by conftest)."""
    for line in STATS.lines():
        terminalreporter.write_line(line)
