"""The transactional outbox: events written with the change, relayed after commit."""

from tortoise import fields, models


class OutboxEvent(models.Model):
    id = fields.BigIntField(primary_key=True)
    topic = fields.CharField(max_length=64)
    payload = fields.JSONField()
    created_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    dispatched_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_events"
        indexes = (("dispatched_at", "id"),)
