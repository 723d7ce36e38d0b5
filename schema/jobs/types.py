"""Background job types: dead letters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON


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
        from resolvers.jobs import dead_letter_nodes

        return await dead_letter_nodes(info, node_ids)


@strawberry.type(description="A page of dead letters, newest first.")
class DeadLetterConnection(relay.Connection[DeadLetter]):
    pass


@strawberry.type(description="The job was sent again.")
class DeadLetterReplaySuccess:
    actor: str
