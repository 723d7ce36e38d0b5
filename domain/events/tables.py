"""The transactional outbox: events written with the change, relayed after commit."""

from typing import Any

from tortoise import fields, models


class OutboxEvent(models.Model):
    id = fields.BigIntField(primary_key=True)
    topic = fields.CharField(max_length=64)
    payload: fields.JSONField[Any] = fields.JSONField()
    created_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    dispatched_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_events"
        indexes = (("dispatched_at", "id"),)


class DeadLetter(models.Model):
    """A job that failed every retry, kept for admins to see and to replay."""

    id = fields.BigIntField(primary_key=True)
    actor = fields.CharField(max_length=64)
    queue = fields.CharField(max_length=64)
    message_id = fields.CharField(max_length=64, unique=True)
    args: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    kwargs: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    error = fields.TextField()
    retries = fields.IntField(default=0)
    failed_at = fields.DatetimeField()
    replayed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "dead_letters"
        indexes = (("replayed_at", "id"),)
