"""The audit log. Rows are only ever inserted: a trigger (migration 0002) refuses
UPDATE and DELETE on both backends, and on PostgreSQL the rights are revoked too."""

from typing import Any

from tortoise import fields, models


class AuditEntry(models.Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    actor = fields.CharField(max_length=64)  # "staff:3" / "partner:2" / "member:9" / "system"
    actor_role = fields.CharField(max_length=32, default="")  # staff role or partner client id
    action = fields.CharField(max_length=48)  # e.g. member.reveal, member.merge
    target_type = fields.CharField(max_length=32, default="")
    target_id = fields.CharField(max_length=64, default="")
    # never personal data itself, only what was read
    detail: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    client_ip = fields.CharField(max_length=64, default="")
    request_id = fields.CharField(max_length=64, default="")

    class Meta:
        table = "audit_log"
        append_only = True  # rows are only inserted (domain.db_roles)
        indexes = (("target_type", "target_id", "id"), ("actor", "id"), ("action", "id"))
