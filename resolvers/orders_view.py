"""Order rows as GraphQL objects (shared by the member and order resolvers)."""

from __future__ import annotations

from collections.abc import Iterable

from domain.orders import queries
from resolvers.nodes import visible_nodes
from schema.context import Info
from schema.orders import types as t


def to_order(o: queries.OrderRow) -> t.Order:
    return t.Order(
        id=o.id,
        external_id=o.external_id,
        channel=o.channel,
        store_code=o.store_code,
        paid_at=o.paid_at,
        total_paid_fen=o.total_paid_fen,
        refunded_fen=o.refunded_fen,
        points_earned=o.points_earned,
        points_redeemed=o.points_redeemed,
        status=o.status,
    )


@t.order_nodes.install
async def order_nodes(info: Info, node_ids: Iterable[str]) -> list[t.Order | None]:
    return await visible_nodes(
        info, "Order", node_ids, queries.by_ids, to_order, lambda r: r.member_id
    )
