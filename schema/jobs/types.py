"""Background job types: dead letters."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from schema.hooks import Hook

if TYPE_CHECKING:
    from schema.context import Info


# Implemented by the resolvers layer, which imports these types (schema/hooks.py).
dead_letter_nodes: Hook[[Info, Iterable[str]], Awaitable[list[DeadLetter | None]]] = Hook(
    "dead_letter_nodes"
)


@strawberry.type(description="A job that failed every retry.")
class DeadLetter(relay.Node):
    id: relay.NodeID[int]
    actor: str
    queue: str
    args: JSON
    kwargs: JSON
    error: str
    retries: int
    failed_at: datetime
    replayed_at: datetime | None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[DeadLetter | None]:
        return await dead_letter_nodes(info, node_ids)


@strawberry.type(description="A page of dead letters, newest first.")
class DeadLetterConnection(relay.Connection[DeadLetter]):
    pass


@strawberry.type(description="The job was sent again.")
class DeadLetterReplaySuccess:
    actor: str
