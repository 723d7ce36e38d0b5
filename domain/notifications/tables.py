"""Outgoing messages, their text encrypted. The local sink adapter sends nothing (in
development it also appends each message to ``var/dev-sink.jsonl``)."""

from typing import TYPE_CHECKING

from tortoise import fields, models

if TYPE_CHECKING:
    from domain.members.tables import Member


class Message(models.Model):
    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="messages", null=True, on_delete=fields.RESTRICT
    )
    member_id: int | None
    channel = fields.CharField(max_length=16)  # SMS / PUSH / MINI_PROGRAM / EMAIL
    recipient_enc = fields.TextField()  # encrypted address (phone, openid, email)
    template = fields.CharField(max_length=64)
    # AES-GCM (domain.notifications.sealing): the text as sent, secrets such as sign-in
    # codes masked; blanked by the purge job after MESSAGE_BODY_RETENTION_DAYS
    body_enc = fields.TextField(default="", db_default="")
    # AES-GCM JSON: what a provider template is filled with; secrets erased once sent
    variables_enc = fields.TextField(default="", db_default="")
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
