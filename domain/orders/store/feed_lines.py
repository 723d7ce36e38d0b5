"""Order lines as the feed read model reads them (``domain.feeds.rebuild``, ``.refresh``,
``loyalty recs-export``): columnar numpy arrays, streamed by COPY on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any, cast

import numpy as np
from tortoise import connections
from tortoise.functions import Max, Min

from domain.orders.tables import Order
from domain.sql import bind

# --- order lines for the feed read model (``domain.feeds.rebuild``, ``.refresh``) ---
#
# Columns: member id, Asia/Shanghai business day (date ordinal), product id, store id,
# one row per line of a paid order that is not wholly refunded, lines without a product
# left out. A walk-in order (no member) gets the member id -order id: one anonymous
# buyer per order (popularity and baskets may count it; it is nobody's history).

_FEED_DAY = {
    "postgres": "((o.paid_at AT TIME ZONE 'Asia/Shanghai')::date - DATE '0001-01-01' + 1)",
    "sqlite": "CAST(julianday(date(o.paid_at, '+8 hours')) - 1721424.5 AS INTEGER)",
}
_FEED_LINES = """SELECT {member}, {day}, l.product_id, o.store_id
FROM orders o JOIN order_lines l ON l.order_id = o.id
{members_join}
WHERE o.paid_at >= :start AND o.paid_at < :end AND {who}
  AND o.status <> 'REFUNDED' AND l.product_id IS NOT NULL
  AND l.quantity > l.refunded_quantity
ORDER BY {order}"""
# binary COPY of four non-null integer columns: int16 field count, then per field an
# int32 length and the value (big-endian); fixed width, so numpy reads it in one go
_COPY_ROW = np.dtype(
    [
        ("n", ">i2"),
        ("l1", ">i4"),
        ("member", ">i8"),
        ("l2", ">i4"),
        ("day", ">i4"),
        ("l3", ">i4"),
        ("item", ">i4"),
        ("l4", ">i4"),
        ("store", ">i4"),
    ]
)
_COPY_HEADER = 11 + 4 + 4  # signature, flags, header extension length (0)
# the whole-window read sorts every line by member once (hash joins, then one sort):
# memory for it, and no JIT compilation of a query that runs once a night
_STREAM_SETTINGS = ("SET LOCAL work_mem = '256MB'", "SET LOCAL jit = off")
Columns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


_FEED_WHO = {  # which orders: (member id column, condition, left-out members joined)
    "walk_ins": ("-o.id", "o.member_id IS NULL", False),
    "member": ("o.member_id", "o.member_id = :member_id", False),
    # the span on members too: else each span's read hashes every member (1M: 2.5 -> 0.6 s)
    "span": (
        "o.member_id",
        "o.member_id >= :lo AND o.member_id < :hi AND m.id >= :lo AND m.id < :hi",
        True,
    ),
    "all": ("o.member_id", "o.member_id IS NOT NULL", True),
}


def _feed_lines_sql(dialect: str, who: str, order: str = "1, 2") -> str:
    member, where, left_out = _FEED_WHO[who]
    members_join = (
        "JOIN members m ON m.id = o.member_id AND m.status NOT IN (:left_out)" if left_out else ""
    )
    cast = "::bigint" if dialect == "postgres" else ""
    return _FEED_LINES.format(
        member=f"({member}){cast}",
        day=_FEED_DAY[dialect],
        members_join=members_join,
        who=where,
        order=order,
    )


def _columns(rows: np.ndarray) -> Columns:
    return (
        rows["member"].astype(np.int64),
        rows["day"].astype(np.int32),
        rows["item"].astype(np.int32),
        rows["store"].astype(np.int32),
    )


def _copy_sql(text: str, args: Sequence[Any]) -> str:
    """``text`` with its $n parameters written in: they cannot go into COPY. The values
    are integers, timestamps and the statuses of this module, never text from outside."""
    for i in range(len(args), 0, -1):
        value = args[i - 1]
        literal = (
            f"'{value.isoformat()}'::timestamptz" if isinstance(value, datetime) else str(value)
        )
        if isinstance(value, str):
            literal = "'" + value.replace("'", "''") + "'"
        text = text.replace(f"${i}", literal)
    return text


async def _feed_columns(sql: str, params: dict[str, Any]) -> Columns:
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    text, args = bind(sql, params, dialect)
    if dialect != "postgres":
        rows = await conn.execute_query(text, args)
        data = np.asarray([tuple(r) for r in rows[1]], dtype=np.int64).reshape(-1, 4)
        return data[:, 0].copy(), *(data[:, k].astype(np.int32) for k in (1, 2, 3))  # type: ignore[return-value]
    buf = bytearray()

    async def sink(chunk: bytes) -> None:
        buf.extend(chunk)

    async with conn.acquire_connection() as raw:
        await raw.copy_from_query(_copy_sql(text, args), output=sink, format="binary")
    body = memoryview(buf)[_COPY_HEADER : len(buf) - 2]  # the trailer: int16 -1
    return _columns(np.frombuffer(body, dtype=_COPY_ROW))


async def _copy_rows(
    sql: str, params: dict[str, Any], rows_per_put: int
) -> AsyncGenerator[Columns, None]:
    """The rows of a binary COPY as they arrive, about ``rows_per_put`` at a time. A task
    reads, a queue of two holds what the caller has not taken yet: the read waits for
    the caller (memory stays at a few pieces, whatever the table's size)."""
    conn = connections.get("default")
    text, args = bind(sql, params, "postgres")
    queue: asyncio.Queue[Columns | None] = asyncio.Queue(maxsize=2)
    pending = bytearray()
    size = _COPY_ROW.itemsize

    async def sink(chunk: bytes) -> None:
        pending.extend(chunk)
        if len(pending) >= _COPY_HEADER + size * rows_per_put:
            n = (len(pending) - _COPY_HEADER) // size
            rows = np.frombuffer(bytes(pending[_COPY_HEADER : _COPY_HEADER + n * size]), _COPY_ROW)
            del pending[_COPY_HEADER : _COPY_HEADER + n * size]
            await queue.put(_columns(rows))

    async def read() -> None:
        try:
            async with conn.acquire_connection() as raw, raw.transaction():
                for statement in _STREAM_SETTINGS:
                    await raw.execute(statement)
                await raw.copy_from_query(_copy_sql(text, args), output=sink, format="binary")
            body = bytes(pending[_COPY_HEADER : len(pending) - 2])  # the trailer: int16 -1
            await queue.put(_columns(np.frombuffer(body, _COPY_ROW)))
        finally:
            await queue.put(None)

    task = asyncio.create_task(read())
    try:
        while (piece := await queue.get()) is not None:
            yield piece
        await task  # its error, if any
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _whole_members(
    pieces: AsyncGenerator[Columns, None], lines: int
) -> AsyncGenerator[Columns, None]:
    """Pieces of rows sorted by member cut into chunks of about ``lines`` rows that end
    at a member boundary (a chunk ends with the member of its ``lines``-th row)."""
    held: list[Columns] = []
    count = 0
    async for piece in pieces:
        held.append(piece)
        count += piece[0].size
        while count >= lines:
            cols = cast(Columns, tuple(np.concatenate(c) for c in zip(*held, strict=True)))
            cut = int(np.searchsorted(cols[0], cols[0][lines - 1], side="right"))
            held = [cols]
            if cut >= count:  # that member may go on in the next piece
                break
            yield cast(Columns, tuple(c[:cut] for c in cols))
            held, count = [cast(Columns, tuple(c[cut:] for c in cols))], count - cut
    if count:
        yield cast(Columns, tuple(np.concatenate(c) for c in zip(*held, strict=True)))


async def feed_line_chunks(
    start: datetime,
    end: datetime,
    left_out_statuses: Sequence[str],
    *,
    walk_ins: bool = False,
    lines: int = 3_000_000,
) -> AsyncGenerator[Columns, None]:
    """Every line of orders paid in [start, end) in one read sorted by member — of
    members whose status is not one of ``left_out_statuses``, or (``walk_ins``) of
    orders without a member, member id = -order id — as chunks of columns (member, day,
    product, store) of at least ``lines`` rows that never split a member. PostgreSQL:
    one COPY streamed while the caller works on the chunks (no per-chunk join of the
    whole lines table)."""
    dialect = connections.get("default").capabilities.dialect
    # by member only: the engine sorts within a chunk
    sql = _feed_lines_sql(dialect, "walk_ins" if walk_ins else "all", order="1")
    params: dict[str, Any] = {"start": start, "end": end}
    if not walk_ins:
        params["left_out"] = list(left_out_statuses)
    if dialect == "postgres":
        pieces = _copy_rows(sql, params, rows_per_put=max(1, lines // 4))
    else:
        pieces = _one_piece(sql, params)
    # closed at once when the caller stops early (an error while training): the COPY
    # task is cancelled and its connection released, not left to the garbage collector
    async with (
        contextlib.aclosing(pieces),
        contextlib.aclosing(_whole_members(pieces, lines)) as chunks,
    ):
        async for chunk in chunks:
            yield chunk


async def _one_piece(sql: str, params: dict[str, Any]) -> AsyncGenerator[Columns, None]:
    yield await _feed_columns(sql, params)


async def feed_lines_of_members(
    lo: int, hi: int, start: datetime, end: datetime, left_out_statuses: Sequence[str]
) -> Columns:
    """Lines of orders paid in [start, end) by members lo <= id < hi whose status is not
    one of ``left_out_statuses``, as columns (member, day, product, store), by member."""
    sql = _feed_lines_sql(connections.get("default").capabilities.dialect, "span")
    params = {"start": start, "end": end, "lo": lo, "hi": hi, "left_out": list(left_out_statuses)}
    return await _feed_columns(sql, params)


async def feed_lines_of_member(member_id: int, start: datetime, end: datetime) -> Columns:
    """One member's lines of orders paid in [start, end), as columns, by day."""
    sql = _feed_lines_sql(connections.get("default").capabilities.dialect, "member")
    return await _feed_columns(sql, {"start": start, "end": end, "member_id": member_id})


async def feed_member_span(start: datetime, end: datetime) -> tuple[int, int] | None:
    """(lowest, highest) member id with an order paid in [start, end); None: no order."""
    row = (
        await Order.filter(member_id__isnull=False, paid_at__gte=start, paid_at__lt=end)
        .annotate(lo=Min("member_id"), hi=Max("member_id"))
        .values("lo", "hi")
    )[0]
    return None if row["lo"] is None else (int(row["lo"]), int(row["hi"]))


async def feed_store_ids(start: datetime, end: datetime) -> list[int]:
    """The stores with an order paid in [start, end)."""
    rows = (
        await Order.filter(paid_at__gte=start, paid_at__lt=end)
        .distinct()
        .values_list("store_id", flat=True)
    )
    return sorted(cast(list[int], rows))
