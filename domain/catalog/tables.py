"""The product catalogue."""

from tortoise import fields, models


class Product(models.Model):
    id = fields.IntField(primary_key=True)
    sku = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=128)
    category_path = fields.CharField(max_length=128)  # "生鲜/水果/苹果"
    brand = fields.CharField(max_length=64, default="")
    price_fen = fields.IntField()
    excluded_from_points = fields.BooleanField(default=False)

    class Meta:
        table = "products"
