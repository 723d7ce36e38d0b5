"""Coupon resolvers: map GraphQL inputs to the coupon services and rows back to types."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry

from domain.coupons import issuing, redemption, services, templates
from domain.coupons.model import Kind
from domain.members.services import MemberView
from resolvers.common import attempt, connection, guarded
from resolvers.members import member_gid, member_pk
from resolvers.nodes import visible_nodes
from schema.context import Info
from schema.coupons import inputs as i
from schema.coupons import types as t
from schema.members import types as member_types
from schema.relay import decode_cursor, page_size


def to_coupon(r: services.CouponRow) -> t.Coupon:
    return t.Coupon(
        id=r.id,
        code=r.code,
        status=t.CouponStatus(r.status),
        name=r.name,
        kind=t.CouponKind(r.kind),
        description=r.description,
        valid_from=r.valid_from,
        valid_until=r.valid_until,
        issued_at=r.issued_at,
        source=r.source,
    )


def to_template(row: templates.CouponTemplate) -> t.CouponTemplate:
    terms = templates.terms_of(row)
    return t.CouponTemplate(
        id=row.id,
        code=row.code,
        name=row.name,
        kind=t.CouponKind(row.kind),
        description=templates.description(row),
        ladder=[t.LadderStep(threshold_fen=a, off_fen=b) for a, b in terms.ladder],
        threshold_fen=row.threshold_fen,
        percent_off=row.percent_off,
        cap_fen=row.cap_fen,
        gift_sku=row.gift_sku or None,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        validity_days=row.validity_days,
        weekdays=list(row.weekdays),
        hour_from=row.hour_from,
        hour_to=row.hour_to,
        total_stock=row.total_stock,
        stock_left=row.stock_left,
        budget_fen=row.budget_fen,
        budget_left_fen=row.budget_left_fen,
        per_member_limit=row.per_member_limit,
        period_limit=row.period_limit,
        limit_period=t.LimitPeriod(row.limit_period) if row.limit_period else None,
        tiers=list(row.tiers),
        stores=list(row.stores),
        channels=list(row.channels),
        include_categories=list(row.include_categories),
        exclude_categories=list(row.exclude_categories),
        include_skus=list(row.include_skus),
        exclude_skus=list(row.exclude_skus),
        discounted_items_count=row.discounted_items_count,
        stacking_group=row.stacking_group or None,
        exclusive=row.exclusive,
        claimable=row.claimable,
        trigger=t.CouponTrigger(row.trigger) if row.trigger else None,
        active=row.active,
    )


@t.report_of.install
async def report_of(template_id: int) -> t.CouponTemplateReport:
    r = await templates.report_by_id(template_id)
    return t.CouponTemplateReport(
        issued=r.issued,
        redeemed=r.redeemed,
        expired=r.expired,
        discount_given_fen=r.discount_given_fen,
        attributed_revenue_fen=r.attributed_revenue_fen,
    )


@member_types.coupons_of.install
async def coupons_of(
    info: Info, v: MemberView, status: t.CouponStatus | None, first: int | None, after: str | None
) -> t.CouponConnection:
    rows, more = await services.of_member(
        v.id,
        status.value if status else None,
        after_id=decode_cursor("coupon", after),
        limit=page_size(first, info.context.rt.settings.gql_page_max),
    )
    return connection(t.CouponConnection, "coupon", rows, more, after, to_coupon)


@member_types.claimable_of.install
async def claimable_of(info: Info, v: MemberView) -> list[t.ClaimableCoupon]:
    return [
        t.ClaimableCoupon(
            template_code=row.code,
            name=row.name,
            kind=t.CouponKind(row.kind),
            description=templates.description(row),
            stock_left=row.stock_left,
        )
        for row in await info.context.loaders.claimable_coupons.load(v)
    ]


async def coupon_templates(info: Info) -> list[t.CouponTemplate]:
    return [to_template(row) for row in await templates.templates()]


async def coupon_template_create(info: Info, input: i.CouponTemplateInput):
    values = {
        name: getattr(input, name)
        for name in (
            "threshold_fen",
            "value_fen",
            "percent_off",
            "cap_fen",
            "gift_sku",
            "valid_from",
            "valid_until",
            "validity_days",
            "weekdays",
            "hour_from",
            "hour_to",
            "total_stock",
            "budget_fen",
            "per_member_limit",
            "period_limit",
            "tiers",
            "stores",
            "include_categories",
            "exclude_categories",
            "include_skus",
            "exclude_skus",
            "discounted_items_count",
            "stacking_group",
            "exclusive",
            "claimable",
        )
    }
    values["ladder"] = [[s.threshold_fen, s.off_fen] for s in input.ladder]
    values["channels"] = [c.value for c in input.channels]
    values["limit_period"] = input.limit_period.value if input.limit_period else ""
    values["trigger"] = input.trigger.value if input.trigger else ""
    row = templates.TemplateIn(input.code, input.name, Kind(input.kind.value), values)
    return await attempt(templates.create_template(info.context.viewer, row), to_template)


def _draft(d: i.OrderDraftInput) -> redemption.DraftIn:
    return redemption.DraftIn(
        store_code=d.store_code,
        channel=d.channel.value,
        lines=tuple((ln.sku, ln.quantity, ln.unit_price_fen, ln.discount_fen) for ln in d.lines),
        delivery_fee_fen=d.delivery_fee_fen,
        other_codes=tuple(d.other_coupon_codes),
    )


async def coupon_validate(info: Info, code: str, order: i.OrderDraftInput):
    def ok(c: redemption.Checked) -> t.CouponValidation:
        v = c.verdict
        return t.CouponValidation(
            code=c.coupon.code,
            applicable=v.applicable,
            discount_fen=v.discount_fen,
            gift_sku=v.gift_sku or None,
            failures=[
                t.CouponFailure(
                    reason=f.reason, message=f.message, conflicting_code=f.conflicting_code
                )
                for f in v.failures
            ],
            description=templates.description(c.template, c.coupon),
        )

    return await attempt(redemption.validate(info.context.viewer, code, _draft(order)), ok)


async def coupon_redeem(info: Info, input: i.CouponRedeemInput):
    return await attempt(
        redemption.redeem(
            info.context.viewer, input.code, input.order_external_id, _draft(input.order)
        ),
        lambda r: t.CouponRedeemSuccess(
            redemption=t.CouponRedemption(
                code=r.code,
                order_external_id=r.order_external_id,
                discount_fen=r.discount_fen,
                gift_sku=r.gift_sku or None,
                redeemed_at=r.redeemed_at,
            ),
            replayed=r.replayed,
        ),
    )


async def coupon_redemption_void(info: Info, code: str, order_external_id: str):
    return await attempt(
        redemption.void(info.context.viewer, code, order_external_id),
        lambda r: t.CouponRedemptionVoidSuccess(
            code=r.code,
            order_external_id=r.order_external_id,
            coupon_status=t.CouponStatus(r.coupon_status),
            replayed=r.replayed,
        ),
    )


async def coupon_claim(info: Info, template_code: str):
    async def call():
        return await services.row_for(await issuing.claim(info.context.viewer, template_code))

    return await attempt(call(), lambda r: t.CouponClaimSuccess(coupon=to_coupon(r)))


async def coupon_issue(
    info: Info, template_code: str, member_ids: list[strawberry.ID], batch_id: str
):
    ctx = info.context
    return await guarded(
        lambda: issuing.issue(
            ctx.rt,
            ctx.viewer,
            template_code,
            [member_pk(m, "memberIds") for m in member_ids],
            batch_id,
        ),
        lambda r: t.CouponIssueReport(
            issued=[t.CouponIssued(member_id=member_gid(m), code=c) for m, c in r.issued],
            skipped=[
                t.CouponIssueSkip(member_id=member_gid(m), reason=why) for m, why in r.skipped
            ],
        ),
    )


@t.coupon_nodes.install
async def coupon_nodes(info: Info, node_ids: Iterable[str]) -> list[t.Coupon | None]:
    return await visible_nodes(
        info, "Coupon", node_ids, services.by_ids, to_coupon, lambda r: r.member_id
    )


@t.template_nodes.install
async def template_nodes(info: Info, node_ids: Iterable[str]) -> list[t.CouponTemplate | None]:
    return await visible_nodes(info, "CouponTemplate", node_ids, templates.by_ids, to_template)
