"""Members. Personal data is stored encrypted (see domain.crypto)."""

from tortoise import fields, models


class Member(models.Model):
    id = fields.BigIntField(primary_key=True)
    phone_hash = fields.CharField(max_length=64, unique=True)  # HMAC blind index
    phone_enc = fields.TextField()  # AES-GCM, "<key id>:<base64>"
    display_name = fields.CharField(max_length=64, default="")
    status = fields.CharField(max_length=16, default="ACTIVE")  # ACTIVE / FROZEN / ERASED
    registration_channel = fields.CharField(max_length=16, default="APP")
    home_store = fields.ForeignKeyField(
        "loyalty.Store", related_name="members", null=True, on_delete=fields.RESTRICT
    )
    tier = fields.ForeignKeyField(
        "loyalty.Tier", related_name="members", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "members"
