"""Orders posted by partners (POS, e-commerce), with their lines and refunds.

Idempotency: (partner, external_id) is unique for orders and (partner, external_id)
for refunds; ``request_hash`` is a digest of the request, so a retry with the same
content is answered with the original result and a changed one is refused.
"""

from typing import TYPE_CHECKING, Any

from tortoise import fields, models

if TYPE_CHECKING:
    from domain.catalog.tables import Product
    from domain.members.tables import Member
    from domain.org.tables import Store
    from domain.partners.tables import PartnerApp


class Order(models.Model):
    id = fields.BigIntField(primary_key=True)
    partner: fields.ForeignKeyNullableRelation["PartnerApp"] = fields.ForeignKeyField(
        "loyalty.PartnerApp", related_name="orders", null=True, on_delete=fields.RESTRICT
    )
    partner_id: int | None
    external_id = fields.CharField(max_length=64)
    channel = fields.CharField(max_length=16)  # POS / ECOMMERCE / MINI_PROGRAM / APP
    store: fields.ForeignKeyRelation["Store"] = fields.ForeignKeyField(
        "loyalty.Store", related_name="orders", on_delete=fields.RESTRICT
    )
    store_id: int
    member: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="orders", null=True, on_delete=fields.RESTRICT
    )
    member_id: int | None
    paid_at = fields.DatetimeField()
    total_paid_fen = fields.BigIntField()
    refunded_fen = fields.BigIntField(default=0)
    points_earned = fields.BigIntField(default=0)
    points_redeemed = fields.BigIntField(default=0)
    points_reversed = fields.BigIntField(default=0)  # of points_earned, by refunds
    status = fields.CharField(max_length=24, default="PAID")  # PAID/PARTIALLY_REFUNDED/REFUNDED
    coupon_codes: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    request_hash = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "orders"
        unique_together = (("partner", "external_id"),)
        indexes = (("member_id", "paid_at"),)


class OrderLine(models.Model):
    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation["Order"] = fields.ForeignKeyField(
        "loyalty.Order", related_name="lines", on_delete=fields.CASCADE
    )
    order_id: int
    product: fields.ForeignKeyNullableRelation["Product"] = fields.ForeignKeyField(
        "loyalty.Product", related_name="order_lines", null=True, on_delete=fields.RESTRICT
    )
    product_id: int | None
    sku = fields.CharField(max_length=32)
    quantity = fields.IntField()
    unit_price_fen = fields.IntField()
    discount_fen = fields.IntField(default=0)
    refunded_quantity = fields.IntField(default=0)

    class Meta:
        table = "order_lines"
        # a foreign key gets no index of its own: every read of an order's lines (refunds,
        # the feed histories, joins from orders) needs this one
        indexes = (("order_id",),)


class Refund(models.Model):
    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation["Order"] = fields.ForeignKeyField(
        "loyalty.Order", related_name="refunds", on_delete=fields.RESTRICT
    )
    order_id: int
    partner: fields.ForeignKeyNullableRelation["PartnerApp"] = fields.ForeignKeyField(
        "loyalty.PartnerApp", related_name="refunds", null=True, on_delete=fields.RESTRICT
    )
    partner_id: int | None
    external_id = fields.CharField(max_length=64)
    amount_fen = fields.BigIntField()
    # [{"sku", "quantity"}] when by lines
    lines: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    points_reversed = fields.BigIntField(default=0)
    points_returned = fields.BigIntField(default=0)  # points paid with, given back
    request_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "refunds"
        unique_together = (("partner", "external_id"),)
