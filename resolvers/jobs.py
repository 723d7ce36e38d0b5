"""Dead-letter resolvers (admins)."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry

from domain.events import dead_letters
from resolvers.common import connection, guarded
from resolvers.nodes import pk_of, visible_nodes
from schema.context import Info
from schema.jobs import types as t
from schema.relay import decode_cursor, page_size
from workers.dead_letters import replay


def _row(r: dead_letters.DeadLetterRow) -> t.DeadLetter:
    return t.DeadLetter(**r.__dict__)


async def dead_letters_page(
    info: Info, first: int | None = 20, after: str | None = None, waiting_only: bool = True
) -> t.DeadLetterConnection:
    rows, more = await dead_letters.page(
        after_id=decode_cursor("dead", after),
        limit=page_size(first, info.context.rt.settings.gql_page_max),
        waiting_only=waiting_only,
    )
    return connection(t.DeadLetterConnection, "dead", rows, more, after, _row)


async def dead_letter_replay(info: Info, id: strawberry.ID):
    def call():
        return replay(pk_of(id, "DeadLetter", "id"))

    return await guarded(call, lambda actor: t.DeadLetterReplaySuccess(actor=actor))


@t.dead_letter_nodes.install
async def dead_letter_nodes(info: Info, node_ids: Iterable[str]) -> list[t.DeadLetter | None]:
    return await visible_nodes(info, "DeadLetter", node_ids, dead_letters.by_ids, _row)
