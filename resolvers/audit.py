"""Audit log resolvers."""

from __future__ import annotations

from collections.abc import Iterable

from domain.audit import services
from resolvers.common import connection
from resolvers.nodes import visible_nodes
from schema.audit import types as t
from schema.audit.types import AuditEntry, AuditEntryConnection
from schema.context import Info
from schema.relay import decode_cursor, page_size


async def audit_log(
    info: Info,
    first: int | None = 20,
    after: str | None = None,
    action: str | None = None,
    actor: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
) -> AuditEntryConnection:
    rows, more = await services.page(
        after_id=decode_cursor("audit", after),
        limit=page_size(first, info.context.rt.settings.gql_page_max),
        action=action,
        actor=actor,
        target_type=target_type,
        target_id=target_id,
    )
    return connection(AuditEntryConnection, "audit", rows, more, after, _entry)


def _entry(row: services.AuditRow) -> AuditEntry:
    return AuditEntry(**row.__dict__)


@t.audit_nodes.install
async def audit_nodes(info: Info, node_ids: Iterable[str]) -> list[AuditEntry | None]:
    return await visible_nodes(info, "AuditEntry", node_ids, services.by_ids, _entry)
