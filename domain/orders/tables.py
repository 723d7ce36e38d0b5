"""Orders posted by partners (POS, e-commerce), with their lines and refunds.

Idempotency: (partner, external_id) is unique for orders and (partner, external_id)
for refunds; ``request_hash`` is a digest of the request, so a retry with the same
content is answered with the original result and a changed one is refused.
"""

from tortoise import fields, models


class Order(models.Model):
    id = fields.BigIntField(primary_key=True)
    partner = fields.ForeignKeyField(
        "loyalty.PartnerApp", related_name="orders", null=True, on_delete=fields.RESTRICT
    )
    external_id = fields.CharField(max_length=64)
    channel = fields.CharField(max_length=16)  # POS / ECOMMERCE / MINI_PROGRAM / APP
    store = fields.ForeignKeyField(
        "loyalty.Store", related_name="orders", on_delete=fields.RESTRICT
    )
    member = fields.ForeignKeyField(
        "loyalty.Member", related_name="orders", null=True, on_delete=fields.RESTRICT
    )
    paid_at = fields.DatetimeField()
    total_paid_fen = fields.BigIntField()
    refunded_fen = fields.BigIntField(default=0)
    points_earned = fields.BigIntField(default=0)
    points_redeemed = fields.BigIntField(default=0)
    points_reversed = fields.BigIntField(default=0)  # of points_earned, by refunds
    status = fields.CharField(max_length=24, default="PAID")  # PAID/PARTIALLY_REFUNDED/REFUNDED
    coupon_codes = fields.JSONField(default=list)
    request_hash = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "orders"
        unique_together = (("partner", "external_id"),)
        indexes = (("member_id", "paid_at"),)


class OrderLine(models.Model):
    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("loyalty.Order", related_name="lines", on_delete=fields.CASCADE)
    product = fields.ForeignKeyField(
        "loyalty.Product", related_name="order_lines", null=True, on_delete=fields.RESTRICT
    )
    sku = fields.CharField(max_length=32)
    quantity = fields.IntField()
    unit_price_fen = fields.IntField()
    discount_fen = fields.IntField(default=0)
    refunded_quantity = fields.IntField(default=0)

    class Meta:
        table = "order_lines"


class Refund(models.Model):
    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField(
        "loyalty.Order", related_name="refunds", on_delete=fields.RESTRICT
    )
    partner = fields.ForeignKeyField(
        "loyalty.PartnerApp", related_name="refunds", null=True, on_delete=fields.RESTRICT
    )
    external_id = fields.CharField(max_length=64)
    amount_fen = fields.BigIntField()
    lines = fields.JSONField(default=list)  # [{"sku", "quantity"}] when by lines
    points_reversed = fields.BigIntField(default=0)
    points_returned = fields.BigIntField(default=0)  # points paid with, given back
    request_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "refunds"
        unique_together = (("partner", "external_id"),)
