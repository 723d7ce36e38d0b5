"""Audit log query (admins only)."""

from __future__ import annotations

import strawberry

from domain.auth import policy
from resolvers import audit as r
from schema.audit import types as t
from schema.permissions import Allow


@strawberry.type
class AuditQuery:
    audit_log: t.AuditEntryConnection = strawberry.field(
        resolver=r.audit_log,
        permission_classes=[Allow(policy.READ_AUDIT)],
        description="The append-only audit log, newest first, filtered (admins only).",
    )
