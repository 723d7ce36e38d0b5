"""The member home through its response cache (``domain.members.home_cache``): which
GraphQL documents may be answered from it, and answering them.

Only a query a *member* sends whose every root field is ``me`` qualifies: its answer is
theirs alone and changes only with their own data. The cache is an optimisation: when it
is unreachable, the request is executed as if it were off.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from strawberry.types import ExecutionResult

from domain.auth.model import PrincipalKind
from domain.members.home_cache import HomeCache, Slot
from schema.context import Context

log = logging.getLogger("loyalty.server")


def home_slot(
    home: HomeCache, member_id: int, query: str, operation: str | None, variables: dict | None
) -> Slot | None:
    """Where this member's request would be answered from; None when it may not be."""
    if not home.ttl_s or not only_me(query, operation):
        return None
    return home.slot(member_id, query, operation, variables)


async def answer(
    context: Context, request_data: Any, execute: Callable[[], Awaitable[ExecutionResult]]
) -> ExecutionResult:
    """A member's own home query from the cache when it can be, otherwise executed and
    cached if it may be; any other operation simply executed."""
    viewer, home = context.viewer, context.rt.home
    slot = None
    if viewer.kind is PrincipalKind.MEMBER and viewer.id and isinstance(request_data.query, str):
        slot = home_slot(
            home, viewer.id, request_data.query, request_data.operation_name, request_data.variables
        )
    if slot is None:
        return await execute()
    try:
        cached, slot = await home.lookup(slot)
    except Exception as exc:  # the cache is an optimisation: answer without it
        log.warning("member-home cache unavailable (%s)", exc)
        return await execute()
    if cached is not None:
        return ExecutionResult(data=cached, errors=None)
    result = await execute()
    if result.data is not None and not result.errors:
        try:
            await home.store(slot, result.data)
        except Exception as exc:
            log.warning("member-home cache unavailable (%s)", exc)
    return result


@lru_cache(maxsize=512)
def only_me(query: str, operation: str | None) -> bool:
    """Is the operation a query whose every root field is ``me`` (and nothing else)?"""
    try:
        document = parse(query)
    except GraphQLError:
        return False
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in ops if operation is None or (o.name and o.name.value == operation)]
    if len(chosen) != 1 or chosen[0].operation is not OperationType.QUERY:
        return False
    roots = chosen[0].selection_set.selections
    return all(isinstance(f, FieldNode) and f.name.value == "me" for f in roots)
