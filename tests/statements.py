"""Count the SQL statements a piece of code sends, on either backend.

Every statement tortoise's SQLite and asyncpg clients run is logged at DEBUG on
``tortoise.db_client`` (ORM and ``domain.sql`` alike). The counter listens there, but
only to records made in its own context: work the code under test starts (an ASGI
request over the test transport, the resolvers it gathers) inherits that context, while
the in-process worker, scheduler and relay do not, so they never add to the count.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from tortoise.log import db_client_logger

_sink: ContextVar[list[str] | None] = ContextVar("statements_sink", default=None)


class _Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        sink = _sink.get()
        if sink is not None and record.msg == "%s: %s" and isinstance(record.args, tuple):
            sink.append(str(record.args[0]))  # (statement, values)


@contextmanager
def statements() -> Iterator[list[str]]:
    """The statements sent inside the block (from this context), in order."""
    seen: list[str] = []
    token = _sink.set(seen)
    handler = _Collect(level=logging.DEBUG)
    level = db_client_logger.level
    db_client_logger.addHandler(handler)
    db_client_logger.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        db_client_logger.setLevel(level)
        db_client_logger.removeHandler(handler)
        _sink.reset(token)
