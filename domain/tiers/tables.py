"""The tier ladder."""

from tortoise import fields, models


class Tier(models.Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=32)
    rank = fields.IntField(unique=True)
    threshold_fen = fields.BigIntField()  # qualifying spend in a rolling 12 months
    points_multiplier_pct = fields.IntField(default=100)  # 150 = x1.5
    benefits = fields.JSONField(default=dict)

    class Meta:
        table = "tiers"
