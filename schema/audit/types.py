"""Audit log types."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON


@strawberry.type(description="One audited action: who, what, when, from where.")
class AuditEntry:
    id: strawberry.ID
    at: datetime
    actor: str = strawberry.field(description='"staff:3", "partner:2", "member:9".')
    actor_role: str
    action: str = strawberry.field(description="e.g. member.reveal, member.merge.")
    target_type: str
    target_id: str
    detail: JSON = strawberry.field(description="What was done or read (never the data).")
    client_ip: str
    request_id: str


@strawberry.type(description="A page of audit entries, newest first.")
class AuditEntryConnection(relay.Connection[AuditEntry]):
    pass
