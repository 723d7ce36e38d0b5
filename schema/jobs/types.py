"""Background job types: dead letters."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON


@strawberry.type(description="A job that failed every retry.")
class DeadLetter:
    id: strawberry.ID
    actor: str
    queue: str
    args: JSON
    kwargs: JSON
    error: str
    retries: int
    failed_at: datetime
    replayed_at: datetime | None


@strawberry.type(description="A page of dead letters, newest first.")
class DeadLetterConnection(relay.Connection[DeadLetter]):
    pass


@strawberry.type(description="The job was sent again.")
class DeadLetterReplaySuccess:
    actor: str
