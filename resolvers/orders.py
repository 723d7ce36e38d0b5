"""Order resolvers."""

from __future__ import annotations

from domain.members.services import MemberView
from domain.orders import model, queries, refunds, services
from resolvers.common import connection, guarded
from resolvers.members import ref_of
from resolvers.orders_view import to_order
from schema.context import Info
from schema.members import types as member_types
from schema.orders import inputs as oi
from schema.orders import types as t
from schema.relay import decode_cursor, page_size


def _order_in(i: oi.OrderCreateInput) -> model.OrderIn:
    return model.OrderIn(
        external_id=i.external_id,
        channel=i.channel.value,
        store_code=i.store_code,
        paid_at=i.paid_at,
        lines=tuple(
            model.LineIn(ln.sku, ln.quantity, ln.unit_price_fen, ln.discount_fen) for ln in i.lines
        ),
        total_paid_fen=i.total_paid_fen,
        member=ref_of(i.member) if i.member else None,
        coupon_codes=tuple(i.coupon_codes),
        points_to_redeem=i.points_to_redeem,
    )


async def order_create(info: Info, input: oi.OrderCreateInput):
    ctx = info.context

    async def call():
        result = await services.create(ctx.rt, ctx.viewer, _order_in(input))
        return result, await queries.one(result.order_id)

    return await guarded(
        call, lambda pair: t.OrderCreateSuccess(order=to_order(pair[1]), replayed=pair[0].replayed)
    )


async def order_refund(info: Info, input: oi.OrderRefundInput):
    ctx = info.context
    r = model.RefundIn(
        order_external_id=input.order_external_id,
        refund_external_id=input.refund_external_id,
        lines=tuple(model.RefundLineIn(ln.sku, ln.quantity) for ln in input.lines or []),
        amount_fen=input.amount_fen,
    )

    async def call():
        result = await refunds.refund(ctx.rt, ctx.viewer, r)
        return result, await queries.by_external_id(ctx.viewer.id, r.order_external_id)

    return await guarded(
        call,
        lambda pair: t.OrderRefundSuccess(
            refund=t.Refund(
                external_id=pair[0].external_id,
                amount_fen=pair[0].amount_fen,
                points_reversed=pair[0].points_reversed,
                points_returned=pair[0].points_returned,
            ),
            order=to_order(pair[1]),
            replayed=pair[0].replayed,
        ),
    )


@member_types.orders_of.install
async def orders_of(
    info: Info, v: MemberView, first: int | None, after: str | None
) -> t.OrderConnection:
    rows, more = await queries.page(
        v,
        before_id=decode_cursor("order", after),
        limit=page_size(first, info.context.rt.settings.gql_page_max),
    )
    return connection(t.OrderConnection, "order", rows, more, after, to_order)
