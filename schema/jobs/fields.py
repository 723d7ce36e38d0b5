"""Dead letters for admins."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.auth import policy
from resolvers import jobs as r
from schema.errors import ConflictError, InvalidInputError, NotFoundError
from schema.jobs import types as t
from schema.permissions import Allow

DeadLetterReplayResult = Annotated[
    t.DeadLetterReplaySuccess | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("DeadLetterReplayResult"),
]


@strawberry.type
class JobsQuery:
    dead_letters: t.DeadLetterConnection = strawberry.field(
        resolver=r.dead_letters_page,
        permission_classes=[Allow(policy.MANAGE_JOBS)],
        description="Jobs that failed every retry (JOB_MAX_RETRIES), newest first.",
    )


@strawberry.type
class JobsMutation:
    dead_letter_replay: DeadLetterReplayResult = strawberry.mutation(
        resolver=r.dead_letter_replay,
        permission_classes=[Allow(policy.MANAGE_JOBS)],
        description="Send a dead letter's job again, once (fix its cause first).",
    )
