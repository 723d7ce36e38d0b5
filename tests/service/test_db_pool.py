"""The PostgreSQL pool hands connections back without asyncpg's reset round trip
(domain.db.PooledConnection); what the reset guarded against must still not leak."""

from __future__ import annotations

import pytest
from tortoise import connections
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from domain.db import PooledConnection

pytestmark = pytest.mark.backend("postgres")

HELD = "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 7468999"


async def _count(sql: str) -> int:
    rows = await connections.get("default").execute_query_dict(sql)
    return int(rows[0]["n"])


async def test_a_failed_transaction_leaves_no_lock_and_no_open_transaction(app):
    with pytest.raises(OperationalError):
        async with in_transaction() as tx:
            await tx.execute_query("SELECT pg_advisory_xact_lock(7468999)")
            assert await _count(HELD) == 1  # seen from another pooled connection
            await tx.execute_query("SELECT 1 / 0")
    assert await _count(HELD) == 0
    # every connection the pool has is usable and outside any transaction
    pool = connections.get("default")._pool
    for _ in range(pool.get_size()):
        async with pool.acquire() as raw:
            assert isinstance(raw, PooledConnection)
            assert not raw.is_in_transaction()
            assert await raw.fetchval("SELECT 1") == 1
