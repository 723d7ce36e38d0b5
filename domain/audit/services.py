"""Writing and reading the audit log.

Where a request came from (client address, request id) is set once per request by
the HTTP layer in ``origin``; every service that audits reads it from there, so no
service signature has to carry it.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain import clock
from domain.audit import store
from domain.auth.model import Principal, PrincipalKind


@dataclass(frozen=True)
class Origin:
    client_ip: str = ""
    request_id: str = ""


NO_ORIGIN = Origin()
origin: ContextVar[Origin] = ContextVar("audit_origin")


def _role(actor: Principal) -> str:
    if actor.kind is PrincipalKind.STAFF and actor.role:
        return actor.role.value
    return ""


async def record(
    actor: Principal,
    action: str,
    target_type: str = "",
    target_id: object = "",
    **detail: Any,
) -> None:
    """Append one entry (inside the caller's transaction when there is one)."""
    where = origin.get(NO_ORIGIN)
    await store.add_entry(
        at=clock.now(),
        actor=actor.subject if actor.kind is not PrincipalKind.ANONYMOUS else "anonymous",
        actor_role=_role(actor),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail,
        client_ip=where.client_ip,
        request_id=where.request_id,
    )


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    target_type: str
    target_id: str
    detail: dict
    client_ip: str
    request_id: str


_COLUMNS = tuple(AuditRow.__dataclass_fields__)


async def page(
    *,
    after_id: int | None,
    limit: int,
    action: str | None = None,
    actor: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
) -> tuple[list[AuditRow], bool]:
    """Newest first, keyset by id."""
    given = (
        ("action", action),
        ("actor", actor),
        ("target_type", target_type),
        ("target_id", target_id),
    )
    rows = await store.entries_newest_first(
        _COLUMNS,
        before_id=after_id,
        limit=limit + 1,
        equal={name: value for name, value in given if value},
    )
    return [AuditRow(**r) for r in rows[:limit]], len(rows) > limit


async def by_ids(ids: list[int]) -> dict[int, AuditRow]:
    rows = await store.entries_by_ids(_COLUMNS, ids)
    return {r["id"]: AuditRow(**r) for r in rows}
