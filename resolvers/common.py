"""Shared resolver plumbing: expected domain errors become typed UserErrors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from domain.errors import DomainError
from schema.errors import UserError, to_user_error

T = TypeVar("T")
R = TypeVar("R")


async def attempt(call: Awaitable[T], ok: Callable[[T], R]) -> R | UserError:
    """Await a service call; map its result with ``ok`` or its DomainError to a UserError."""
    try:
        result = await call
    except DomainError as exc:
        return to_user_error(exc)
    return ok(result)
