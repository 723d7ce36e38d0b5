"""Partner applications (POS, e-commerce shops) with OAuth client credentials."""

from tortoise import fields, models


class PartnerApp(models.Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    client_id = fields.CharField(max_length=64, unique=True)
    secret_hash = fields.CharField(max_length=255)  # argon2id
    scopes = fields.CharField(max_length=512)  # space separated, as in OAuth
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "partner_apps"
