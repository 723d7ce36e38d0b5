"""Reads and writes of the audit log (rows are only ever inserted)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.audit.tables import AuditEntry


async def add_entry(
    *,
    at: datetime,
    actor: str,
    actor_role: str,
    action: str,
    target_type: str,
    target_id: str,
    detail: dict[str, Any],
    client_ip: str,
    request_id: str,
) -> None:
    """Append one entry (inside the caller's transaction when there is one)."""
    await AuditEntry.create(
        at=at,
        actor=actor,
        actor_role=actor_role,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
        client_ip=client_ip,
        request_id=request_id,
    )


async def entries_newest_first(
    columns: tuple[str, ...], *, before_id: int | None, limit: int, equal: dict[str, str]
) -> list[dict[str, Any]]:
    """Up to ``limit`` entries with id below ``before_id`` (all when None) whose fields
    equal ``equal``, newest first, as dicts of ``columns``."""
    qs = AuditEntry.all()
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    for name, value in equal.items():
        qs = qs.filter(**{name: value})
    return await qs.order_by("-id").limit(limit).values(*columns)


async def entries_by_ids(columns: tuple[str, ...], ids: list[int]) -> list[dict[str, Any]]:
    return await AuditEntry.filter(id__in=ids).values(*columns)
