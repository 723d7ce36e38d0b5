"""Shared resolver plumbing: expected domain errors become typed UserErrors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from strawberry import relay

from domain.errors import DomainError, InvalidInput
from schema.errors import UserError, to_user_error
from schema.relay import encode_cursor

T = TypeVar("T")
KEY_MAX = 2**63 - 1  # a BIGINT key: a larger int makes the database driver raise, not miss
INT_KEY_MAX = 2**31 - 1  # an INTEGER key (staff, stores, regions)
R = TypeVar("R")
C = TypeVar("C")


async def attempt(call: Awaitable[T], ok: Callable[[T], R]) -> R | UserError:
    """Await a service call; map its result with ``ok`` or its DomainError to a UserError."""
    try:
        result = await call
    except DomainError as exc:
        return to_user_error(exc)
    return ok(result)


async def guarded(call: Callable[[], Awaitable[T]], ok: Callable[[T], R]) -> R | UserError:
    """``attempt`` for a call whose arguments may fail to parse (ids) before it starts."""
    try:
        awaitable = call()
    except DomainError as exc:
        return to_user_error(exc)
    return await attempt(awaitable, ok)


def connection(
    cls: type[C], kind: str, rows: list[T], more: bool, after: str | None, node: Callable[[T], Any]
) -> C:
    """A Relay connection page of ``rows`` (each with an ``id``), cursors of ``kind``."""
    edges = [relay.Edge(node=node(r), cursor=encode_cursor(kind, r.id)) for r in rows]  # type: ignore[attr-defined]
    return cls(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=more,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def parse_key(raw: object, field: str, message: str, maximum: int = KEY_MAX) -> int:
    """The database key in an id argument: InvalidInput (naming ``field``) for anything but
    a positive integer a key column can hold."""
    try:
        key = int(str(raw))
    except ValueError:
        raise InvalidInput(message, field=field) from None
    if not 0 < key <= maximum:
        raise InvalidInput(message, field=field)
    return key
