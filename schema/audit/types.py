"""Audit log types."""

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
audit_nodes: Hook[[Info, Iterable[str]], Awaitable[list[AuditEntry | None]]] = Hook("audit_nodes")


@strawberry.type(description="One audited action: who, what, when, from where.")
class AuditEntry(relay.Node):
    id: relay.NodeID[int]
    at: datetime
    actor: str = strawberry.field(description='"staff:3", "partner:2", "member:9".')
    actor_role: str
    action: str = strawberry.field(description="e.g. member.reveal, member.merge.")
    target_type: str
    target_id: str
    detail: JSON = strawberry.field(description="What was done or read (never the data).")
    client_ip: str
    request_id: str

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AuditEntry | None]:
        return await audit_nodes(info, node_ids)


@strawberry.type(description="A page of audit entries, newest first.")
class AuditEntryConnection(relay.Connection[AuditEntry]):
    pass
