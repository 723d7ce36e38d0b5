"""Coupon templates, the coupons issued from them, and their redemptions.

A coupon is redeemed once: its status moves ACTIVE to USED by a conditional update, so
of any number of concurrent redemptions exactly one wins. A redemption belongs to one
partner order (partner, order external id); a retry for the same order answers with
it, a void (cancelled or fully refunded order) gives the coupon back if still valid.
Counters on the template (issued, discount given) change only by conditional updates
against their limits (stock, budget).
"""

from typing import TYPE_CHECKING, Any

from tortoise import fields, models
from tortoise.migrations.constraints import CheckConstraint

if TYPE_CHECKING:
    from domain.members.tables import Member
    from domain.orders.tables import Order
    from domain.partners.tables import PartnerApp


class CouponTemplate(models.Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16)  # AMOUNT_OFF / PERCENT_OFF / GIFT / FREE_DELIVERY
    threshold_fen = fields.BigIntField(default=0)
    value_fen = fields.BigIntField(default=0)
    # [[threshold_fen, off_fen], ...] ascending
    ladder: fields.JSONField[list[Any]] = fields.JSONField(default=list, db_default=[])
    percent_off = fields.IntField(default=0)
    cap_fen = fields.BigIntField(null=True)  # PERCENT_OFF: largest discount
    gift_sku = fields.CharField(max_length=32, default="", db_default="")
    valid_from = fields.DatetimeField(null=True)  # fixed dates (UTC), or
    valid_until = fields.DatetimeField(null=True)
    validity_days = fields.IntField(null=True, default=30)  # N days from issue
    # ISO 1..7; empty: every day
    weekdays: fields.JSONField[list[Any]] = fields.JSONField(default=list, db_default=[])
    hour_from = fields.IntField(null=True)  # Asia/Shanghai, [from, to)
    hour_to = fields.IntField(null=True)
    total_stock = fields.IntField(null=True)  # None: unlimited
    stock_left = fields.IntField(null=True)  # taken by a conditional update per coupon
    issued_count = fields.IntField(default=0, db_default=0)
    budget_fen = fields.BigIntField(null=True)  # None: unlimited discount
    budget_left_fen = fields.BigIntField(null=True)
    discount_given_fen = fields.BigIntField(default=0, db_default=0)
    per_member_limit = fields.IntField(null=True, default=1)  # coupons held in total
    period_limit = fields.IntField(null=True)  # uses per member and period
    limit_period = fields.CharField(max_length=8, default="", db_default="")  # DAY / WEEK / MONTH
    # tier codes; empty: all
    tiers: fields.JSONField[list[Any]] = fields.JSONField(default=list, db_default=[])
    # store codes; empty: all
    stores: fields.JSONField[list[Any]] = fields.JSONField(default=list, db_default=[])
    # order channels; empty: all
    channels: fields.JSONField[list[Any]] = fields.JSONField(default=list, db_default=[])
    # category path prefixes
    include_categories: fields.JSONField[list[Any]] = fields.JSONField(default=list, db_default=[])
    exclude_categories: fields.JSONField[list[Any]] = fields.JSONField(default=list, db_default=[])
    include_skus: fields.JSONField[list[Any]] = fields.JSONField(default=list, db_default=[])
    exclude_skus: fields.JSONField[list[Any]] = fields.JSONField(default=list, db_default=[])
    discounted_items_count = fields.BooleanField(default=True, db_default=True)
    stacking_group = fields.CharField(max_length=32, default="", db_default="")
    exclusive = fields.BooleanField(
        default=False, db_default=False
    )  # combines with no other coupon
    claimable = fields.BooleanField(
        default=False, db_default=False
    )  # members may claim it themselves
    trigger = fields.CharField(
        max_length=16, default="", db_default=""
    )  # BIRTHDAY / FIRST_ORDER / ...
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(null=True)

    class Meta:
        table = "coupon_templates"
        constraints = (
            CheckConstraint(check="stock_left IS NULL OR stock_left >= 0", name="coupon_stock_ok"),
            CheckConstraint(
                check="budget_left_fen IS NULL OR budget_left_fen >= 0", name="coupon_budget_ok"
            ),
        )


class Coupon(models.Model):
    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=20, unique=True)  # random, unguessable
    template: fields.ForeignKeyRelation["CouponTemplate"] = fields.ForeignKeyField(
        "loyalty.CouponTemplate", related_name="coupons", on_delete=fields.RESTRICT
    )
    template_id: int
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="coupons", on_delete=fields.RESTRICT
    )
    member_id: int
    status = fields.CharField(max_length=8, default="ACTIVE")  # ACTIVE / USED / EXPIRED
    value_fen = fields.BigIntField(null=True)  # overrides the template value (birthday, rebate)
    source = fields.CharField(max_length=16)  # STAFF / CLAIM / TRIGGER / REWARD
    source_ref = fields.CharField(max_length=64, null=True)  # one coupon per trigger occasion
    issued_at = fields.DatetimeField()
    valid_from = fields.DatetimeField()
    valid_until = fields.DatetimeField()
    reminded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "coupons"
        unique_together = (("template_id", "member_id", "source_ref"),)
        indexes = (("member_id", "status", "valid_until"), ("status", "valid_until"))


class CouponRedemption(models.Model):
    id = fields.BigIntField(primary_key=True)
    coupon: fields.ForeignKeyRelation["Coupon"] = fields.ForeignKeyField(
        "loyalty.Coupon", related_name="redemptions", on_delete=fields.RESTRICT
    )
    coupon_id: int
    partner: fields.ForeignKeyNullableRelation["PartnerApp"] = fields.ForeignKeyField(
        "loyalty.PartnerApp", related_name="+", null=True, on_delete=fields.RESTRICT
    )
    partner_id: int | None
    order_external_id = fields.CharField(max_length=64)
    order: fields.ForeignKeyNullableRelation["Order"] = fields.ForeignKeyField(
        "loyalty.Order", related_name="coupon_redemptions", null=True, on_delete=fields.RESTRICT
    )
    order_id: int | None
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="coupon_redemptions", on_delete=fields.RESTRICT
    )
    member_id: int
    discount_fen = fields.BigIntField()
    status = fields.CharField(max_length=8, default="REDEEMED")  # REDEEMED / VOIDED
    redeemed_at = fields.DatetimeField()
    voided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "coupon_redemptions"
        unique_together = (("coupon_id", "partner_id", "order_external_id"),)
        indexes = (("partner_id", "order_external_id"), ("member_id", "redeemed_at"))
