"""Members, their card, channel identities, tags, consents and merges.

Personal data (phone, birthday, income band) is stored encrypted (see domain.crypto)
with HMAC blind indexes where an exact match is needed (phone, birthday month-day).
"""

from typing import TYPE_CHECKING, Any

from tortoise import fields, models

if TYPE_CHECKING:
    from domain.org.tables import Region, Staff, Store
    from domain.tiers.tables import Tier


class Member(models.Model):
    id = fields.BigIntField(primary_key=True)
    phone_hash = fields.CharField(max_length=64, unique=True)  # HMAC blind index
    phone_enc = fields.TextField()  # AES-GCM, "<key id>:<base64>"
    display_name = fields.CharField(max_length=64, default="")
    gender = fields.CharField(max_length=8, default="UNKNOWN")  # MALE / FEMALE / UNKNOWN
    birthday_enc = fields.TextField(null=True)  # ISO date, encrypted
    birth_md_hash = fields.CharField(max_length=64, null=True, db_index=True)  # HMAC of MM-DD
    income_enc = fields.TextField(null=True)  # declared monthly income band, encrypted
    status = fields.CharField(max_length=16, default="ACTIVE")  # ACTIVE/FROZEN/ERASED/MERGED
    registration_channel = fields.CharField(max_length=16, default="APP")
    registered_by = fields.CharField(max_length=64, default="")  # "partner:3" / "staff:1" / ""
    region: fields.ForeignKeyNullableRelation["Region"] = fields.ForeignKeyField(
        "loyalty.Region", related_name="members", null=True, on_delete=fields.RESTRICT
    )
    region_id: int | None
    home_store: fields.ForeignKeyNullableRelation["Store"] = fields.ForeignKeyField(
        "loyalty.Store", related_name="members", null=True, on_delete=fields.RESTRICT
    )
    home_store_id: int | None
    tier: fields.ForeignKeyNullableRelation["Tier"] = fields.ForeignKeyField(
        "loyalty.Tier", related_name="members", null=True, on_delete=fields.RESTRICT
    )
    tier_id: int | None
    merged_into: fields.ForeignKeyNullableRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="absorbed", null=True, on_delete=fields.RESTRICT
    )
    merged_into_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "members"
        indexes = (("home_store_id", "id"), ("created_at", "id"))


class Card(models.Model):
    """The one card of a member (unique member_id). Replacing it changes its number and
    keeps the old number in CardHistory, so the balance and history never move."""

    id = fields.BigIntField(primary_key=True)
    member: fields.OneToOneRelation["Member"] = fields.OneToOneField(
        "loyalty.Member", related_name="card", on_delete=fields.RESTRICT
    )
    member_id: int
    number = fields.CharField(max_length=20, unique=True)
    status = fields.CharField(max_length=16, default="ACTIVE")  # ACTIVE / LOST
    issued_at = fields.DatetimeField()
    status_changed_at = fields.DatetimeField()

    class Meta:
        table = "cards"


class CardHistory(models.Model):
    """A number the card had before, with why it stopped working."""

    id = fields.BigIntField(primary_key=True)
    card: fields.ForeignKeyRelation["Card"] = fields.ForeignKeyField(
        "loyalty.Card", related_name="history", on_delete=fields.RESTRICT
    )
    card_id: int
    number = fields.CharField(max_length=20, unique=True)
    status = fields.CharField(max_length=16)  # REPLACED (after LOST or damaged)
    issued_at = fields.DatetimeField()
    ended_at = fields.DatetimeField()

    class Meta:
        table = "card_history"
        append_only = True  # rows are only inserted (domain.db_roles)


class MemberIdentity(models.Model):
    """An account of the member on another channel, unique per (channel, external id)."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="identities", on_delete=fields.RESTRICT
    )
    member_id: int
    channel = fields.CharField(max_length=24)  # see domain.members.model.IdentityChannel
    external_id = fields.CharField(max_length=128)
    linked_at = fields.DatetimeField()

    class Meta:
        table = "member_identities"
        unique_together = (("channel", "external_id"),)
        indexes = (("member_id",),)


class MemberTag(models.Model):
    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="tags", on_delete=fields.CASCADE
    )
    member_id: int
    tag = fields.CharField(max_length=32)
    created_at = fields.DatetimeField()

    class Meta:
        table = "member_tags"
        unique_together = (("member_id", "tag"),)
        indexes = (("tag", "member_id"),)


class Consent(models.Model):
    """Append-only consent history: the newest row per (member, purpose) is in force."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="consents", on_delete=fields.RESTRICT
    )
    member_id: int
    purpose = fields.CharField(max_length=32)  # see domain.members.model.ConsentPurpose
    granted = fields.BooleanField()
    policy_version = fields.CharField(max_length=16)
    source = fields.CharField(max_length=32)  # "member" / "partner:3" / "staff:1"
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "consents"
        append_only = True  # rows are only inserted (domain.db_roles)
        indexes = (("member_id", "purpose", "id"),)


class MemberMerge(models.Model):
    """One merge of ``absorbed`` into ``survivor``: what moved, so unmerge can undo it."""

    id = fields.BigIntField(primary_key=True)
    survivor: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="merges_won", on_delete=fields.RESTRICT
    )
    survivor_id: int
    absorbed: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="merges_lost", on_delete=fields.RESTRICT
    )
    absorbed_id: int
    staff: fields.ForeignKeyRelation["Staff"] = fields.ForeignKeyField(
        "loyalty.Staff", related_name="merges", on_delete=fields.RESTRICT
    )
    staff_id: int
    reason = fields.CharField(max_length=255)
    # participant name -> what it moved
    moved: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()
    undone_at = fields.DatetimeField(null=True)

    class Meta:
        table = "member_merges"


class BirthdayGreeting(models.Model):
    """One birthday event per member and year: makes the birthday job idempotent."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="birthday_greetings", on_delete=fields.RESTRICT
    )
    member_id: int
    year = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "birthday_greetings"
        append_only = True  # rows are only inserted (domain.db_roles)
        unique_together = (("member_id", "year"),)
