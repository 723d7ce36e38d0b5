"""Member reads within a caller's row scope.

``scope`` is the ORM filter ``domain.members.scope.member_filter`` made for the caller
(None: no member at all); every read here starts from it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from domain.members.model import Status
from domain.members.tables import Member

if TYPE_CHECKING:
    from tortoise.queryset import QuerySet

Scope = dict[str, object] | None


def in_scope(scope: Scope) -> QuerySet[Member]:
    """Members within ``scope`` (an empty query set when None)."""
    if scope is None:
        return Member.filter(id__in=[])
    return Member.filter(**scope)


async def visible_member(scope: Scope, member_id: int) -> Member | None:
    return await in_scope(scope).get_or_none(id=member_id)


async def visible_members(scope: Scope, ids: list[int]) -> list[Member]:
    return await in_scope(scope).filter(id__in=ids)


async def visible_member_ids(scope: Scope, ids: list[int]) -> list[int]:
    rows = await in_scope(scope).filter(id__in=ids).values_list("id", flat=True)
    return cast(list[int], rows)


async def member_page(
    scope: Scope,
    *,
    after_id: int | None,
    limit: int,
    phone_hash: str | None = None,
    card_number: str | None = None,
    tier_code: str | None = None,
    store_code: str | None = None,
    tag: str | None = None,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
    status: str | None = None,
) -> list[Member]:
    """Up to ``limit`` members in scope after ``after_id`` by id, matching every filter
    that is not None (``status`` None: every status but MERGED)."""
    qs = in_scope(scope)
    if after_id is not None:
        qs = qs.filter(id__gt=after_id)
    if phone_hash is not None:
        qs = qs.filter(phone_hash=phone_hash)
    if card_number is not None:
        qs = qs.filter(card__number=card_number)
    if tier_code is not None:
        qs = qs.filter(tier__code=tier_code)
    if store_code is not None:
        qs = qs.filter(home_store__code=store_code)
    if tag is not None:
        qs = qs.filter(tags__tag=tag)
    if created_from is not None:
        qs = qs.filter(created_at__gte=created_from)
    if created_before is not None:
        qs = qs.filter(created_at__lt=created_before)
    qs = qs.filter(status=status) if status is not None else qs.exclude(status=Status.MERGED)
    return await qs.order_by("id").limit(limit)
