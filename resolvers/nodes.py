"""Global ids in and out, and ``node(id:)`` resolution held to the typed fields' rules.

Every Node type's ``resolve_nodes`` goes through ``visible_nodes``: the caller must hold
every rule on the type's typed path (``domain.auth.policy.NODE_RULES``; for a coupon: reading
the member and reading their coupons), and a member-owned row is returned only when its
member is in the caller's row scope (``domain.members.scope``). Anything else, including
an id of the wrong shape, is null.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import strawberry
from strawberry import relay

from domain.auth import policy
from domain.errors import InvalidInput
from domain.members.scope import visible_ids
from resolvers.common import parse_key
from schema.context import Info

R = TypeVar("R")
N = TypeVar("N")


def pk_of(gid: strawberry.ID | relay.GlobalID | None, type_name: str, field: str) -> int:
    """The database id in a global id of ``type_name`` (InvalidInput for anything else)."""
    article = "an" if type_name[0] in "AEIOU" else "a"
    message = f"Not {article} {type_name} id."
    try:
        parsed = gid if isinstance(gid, relay.GlobalID) else relay.GlobalID.from_id(str(gid))
        if parsed.type_name != type_name:
            raise ValueError
    except (ValueError, TypeError):
        raise InvalidInput(message, field=field) from None
    return parse_key(parsed.node_id, field, message)  # a key its column can hold


def gid_of(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(relay.to_base64(type_name, pk))


def _ints(node_ids: Iterable[str]) -> list[int | None]:
    out: list[int | None] = []
    for raw in node_ids:
        try:
            out.append(int(raw))
        except ValueError:
            out.append(None)
    return out


async def visible_nodes(
    info: Info,
    type_name: str,
    node_ids: Iterable[str],
    fetch: Callable[[list[int]], Awaitable[Mapping[int, R]]],
    convert: Callable[[R], N],
    owner: Callable[[R], int | None] | None = None,
) -> list[N | None]:
    """Rows of ``type_name`` by id as the caller may see them (None where not).

    ``owner`` gives the member a row belongs to: such rows also need that member in the
    caller's row scope, and a row without a member is not reachable by id at all."""
    ctx = info.context
    ids = _ints(node_ids)
    wanted = [i for i in ids if i is not None]
    if not policy.may_fetch_node(type_name, ctx.viewer) or not wanted:
        return [None] * len(ids)
    rows: dict[int, Any] = dict(await fetch(wanted))
    if owner is not None:
        members = {m for r in rows.values() if (m := owner(r)) is not None}
        seen = await visible_ids(ctx.rt.settings, ctx.viewer, members)
        rows = {k: r for k, r in rows.items() if owner(r) in seen}
    return [convert(rows[i]) if i is not None and i in rows else None for i in ids]
