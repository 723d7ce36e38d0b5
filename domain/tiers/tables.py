"""The tier ladder, each member's tier history, and the nightly batch's checkpoints."""

from typing import TYPE_CHECKING, Any

from tortoise import fields, models

if TYPE_CHECKING:
    from domain.members.tables import Member


class Tier(models.Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=32)
    rank = fields.IntField(unique=True)
    threshold_fen = fields.BigIntField()  # qualifying spend in a rolling 12 months
    threshold_points = fields.BigIntField(default=0)  # when TIER_MEASURE=points
    points_multiplier_pct = fields.IntField(default=100)  # 150 = x1.5
    benefits: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "tiers"


class TierState(models.Model):
    """Where a member stands in the ladder: since when, when the tier is next reviewed,
    a staff override and its end, and which review the member was reminded of."""

    id = fields.BigIntField(primary_key=True)
    member: fields.OneToOneRelation["Member"] = fields.OneToOneField(
        "loyalty.Member", related_name="tier_state", on_delete=fields.CASCADE
    )
    member_id: int
    since = fields.DatetimeField()
    review_at = fields.DatetimeField(db_index=True)
    override_until = fields.DatetimeField(null=True)
    reminded_for = fields.DatetimeField(null=True)  # the review_at a reminder was sent for

    class Meta:
        table = "tier_states"


class TierHistory(models.Model):
    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="tier_history", on_delete=fields.RESTRICT
    )
    member_id: int
    from_tier: fields.ForeignKeyNullableRelation["Tier"] = fields.ForeignKeyField(
        "loyalty.Tier", related_name="history_from", null=True, on_delete=fields.RESTRICT
    )
    from_tier_id: int | None
    to_tier: fields.ForeignKeyRelation["Tier"] = fields.ForeignKeyField(
        "loyalty.Tier", related_name="history_to", on_delete=fields.RESTRICT
    )
    to_tier_id: int
    reason = fields.CharField(max_length=24)  # UPGRADE / DOWNGRADE / OVERRIDE / MERGE
    measure = fields.BigIntField()  # the qualifying spend (fen) or points at the time
    detail = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "tier_history"
        append_only = True  # rows are only inserted (domain.db_roles)
        indexes = (("member_id", "id"),)


class TierBatchRun(models.Model):
    """One nightly run: the last member id done, so a crashed run resumes there."""

    id = fields.IntField(primary_key=True)
    run_on = fields.DateField(unique=True)  # business date of the run
    last_member_id = fields.BigIntField(default=0)
    changed = fields.IntField(default=0)
    finished_at = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField()

    class Meta:
        table = "tier_batch_runs"
