"""Organisation: regions, stores and staff accounts."""

from tortoise import fields, models


class Region(models.Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=64)

    class Meta:
        table = "regions"


class Store(models.Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=64)
    region: fields.ForeignKeyRelation["Region"] = fields.ForeignKeyField(
        "loyalty.Region", related_name="stores", on_delete=fields.RESTRICT
    )
    region_id: int
    channel = fields.CharField(max_length=16, default="STORE")  # STORE / ECOMMERCE

    class Meta:
        table = "stores"


class Staff(models.Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    display_name = fields.CharField(max_length=64)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharField(max_length=32)  # see domain.org.model.Role
    region: fields.ForeignKeyNullableRelation["Region"] = fields.ForeignKeyField(
        "loyalty.Region", related_name="staff", null=True, on_delete=fields.RESTRICT
    )
    region_id: int | None
    store: fields.ForeignKeyNullableRelation["Store"] = fields.ForeignKeyField(
        "loyalty.Store", related_name="staff", null=True, on_delete=fields.RESTRICT
    )
    store_id: int | None
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "staff"
