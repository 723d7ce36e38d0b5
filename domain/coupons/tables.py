"""Coupon templates (the coupons themselves arrive with the coupons issue)."""

from tortoise import fields, models


class CouponTemplate(models.Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16)  # AMOUNT_OFF / PERCENT_OFF / GIFT / FREE_DELIVERY
    threshold_fen = fields.BigIntField(default=0)
    value_fen = fields.BigIntField(default=0)
    percent_off = fields.IntField(default=0)
    validity_days = fields.IntField(default=30)
    total_stock = fields.IntField(null=True)
    per_member_limit = fields.IntField(default=1)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "coupon_templates"
