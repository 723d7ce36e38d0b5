"""Orders posted by partners (POS, e-commerce), with their lines."""

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

    class Meta:
        table = "order_lines"
