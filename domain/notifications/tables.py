"""Outgoing messages. The local sink adapter stores them here instead of sending."""

from tortoise import fields, models


class Message(models.Model):
    id = fields.BigIntField(primary_key=True)
    member = fields.ForeignKeyField(
        "loyalty.Member", related_name="messages", null=True, on_delete=fields.RESTRICT
    )
    channel = fields.CharField(max_length=16)  # SMS / PUSH / MINI_PROGRAM / EMAIL
    recipient_enc = fields.TextField()  # encrypted address (phone, openid, email)
    template = fields.CharField(max_length=64)
    body = fields.TextField()
    variables = fields.JSONField(default=dict)  # what a provider template is filled with
    purpose = fields.CharField(max_length=16)  # TRANSACTIONAL / MARKETING
    status = fields.CharField(max_length=16, default="QUEUED")  # + DEFERRED / SUPPRESSED
    reason = fields.CharField(max_length=128, default="")  # why deferred or suppressed
    send_after = fields.DatetimeField(null=True)  # deferred until
    adapter = fields.CharField(max_length=32, default="")
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    sending_until = fields.DatetimeField(null=True)  # lease of the worker sending it
    dedupe_key = fields.CharField(max_length=96, null=True, unique=True)  # e.g. event:12:SMS

    class Meta:
        table = "messages"
        indexes = (("member_id", "channel", "created_at"), ("status", "send_after"))
