"""The points ledger.

``PointsAccount`` holds the materialised figures of one member; ``LedgerEntry`` rows
are only ever inserted; ``PointsLot`` is what one credit left to spend, with its
expiry. Invariants (checked by ``loyalty ledger-verify``):

    sum(entries.points)            == balance + pending
    sum(unreleased lots.remaining) == pending
    sum(released lots.remaining)   == max(balance, 0)
"""

from typing import TYPE_CHECKING, Any

from tortoise import fields, models
from tortoise.migrations.constraints import CheckConstraint

if TYPE_CHECKING:
    from domain.members.tables import Member
    from domain.orders.tables import Order


class PointsAccount(models.Model):
    id = fields.BigIntField(primary_key=True)
    member: fields.OneToOneRelation["Member"] = fields.OneToOneField(
        "loyalty.Member", related_name="points_account", on_delete=fields.RESTRICT
    )
    member_id: int
    balance = fields.BigIntField(default=0)  # spendable, negative only under overdraft
    pending = fields.BigIntField(default=0)  # earned, inside the return window
    debt = fields.BigIntField(default=0)  # refund shortfall settled from future credits
    overdraft_ok = fields.BooleanField(default=False)  # set when policy lets it go < 0
    updated_at = fields.DatetimeField()

    class Meta:
        table = "points_accounts"
        constraints = (
            CheckConstraint(check="balance >= 0 OR overdraft_ok", name="points_balance_ok"),
            CheckConstraint(check="pending >= 0 AND debt >= 0", name="points_pending_debt_ok"),
        )


class LedgerEntry(models.Model):
    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="ledger", on_delete=fields.RESTRICT
    )
    member_id: int
    kind = fields.CharField(max_length=16)  # see domain.points.model.Kind
    points = fields.BigIntField()  # signed
    reason = fields.CharField(max_length=255)
    # how the points were computed / which lots
    breakdown: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    order: fields.ForeignKeyNullableRelation["Order"] = fields.ForeignKeyField(
        "loyalty.Order", related_name="ledger", null=True, on_delete=fields.RESTRICT
    )
    order_id: int | None
    actor = fields.CharField(max_length=64, default="")  # "partner:2" / "staff:1" / "system"
    expires_at = fields.DatetimeField(null=True)  # for credits: when their lot expires
    created_at = fields.DatetimeField()

    class Meta:
        table = "ledger_entries"
        append_only = True  # rows are only inserted (domain.db_roles)
        indexes = (("member_id", "id"), ("order_id", "kind"))


class PointsLot(models.Model):
    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="lots", on_delete=fields.RESTRICT
    )
    member_id: int
    entry: fields.ForeignKeyRelation["LedgerEntry"] = fields.ForeignKeyField(
        "loyalty.LedgerEntry", related_name="lots", on_delete=fields.RESTRICT
    )
    entry_id: int
    order: fields.ForeignKeyNullableRelation["Order"] = fields.ForeignKeyField(
        "loyalty.Order", related_name="lots", null=True, on_delete=fields.RESTRICT
    )
    order_id: int | None
    points = fields.BigIntField()
    remaining = fields.BigIntField()
    available_at = fields.DatetimeField()
    released_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "points_lots"
        indexes = (
            ("member_id", "expires_at", "id"),
            # a member's pending lots: without it the planner may walk every pending lot
            ("member_id", "released_at", "available_at"),
            # the release job's: points_lots_pending, a partial index (migration 0012)
            ("expires_at", "remaining"),
        )
        constraints = (CheckConstraint(check="remaining >= 0", name="points_lot_remaining_ok"),)


class EarnRules(models.Model):
    """The earning rules of the chain (one row, id 1), changed by admins."""

    id = fields.IntField(primary_key=True)
    points_per_yuan = fields.IntField(default=1)
    daily_cap = fields.IntField(null=True)  # per member per business day
    # category path prefixes
    excluded_categories: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    excluded_skus: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    updated_at = fields.DatetimeField()
    updated_by = fields.CharField(max_length=64, default="")

    class Meta:
        table = "earn_rules"


class PointsCampaign(models.Model):
    """A points multiplier for a date range and optional weekdays (e.g. member day x2)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    multiplier_pct = fields.IntField()  # 200 = x2
    starts_on = fields.DateField()
    ends_on = fields.DateField()  # inclusive, business dates (Asia/Shanghai)
    # ISO 1=Mon..7=Sun; empty: every day
    weekdays: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "points_campaigns"


class Reward(models.Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16)  # GOODS / COUPON / LOTTERY
    points_cost = fields.IntField()
    stock = fields.IntField(null=True)  # None: unlimited
    per_member_limit = fields.IntField(null=True)
    coupon_template_code = fields.CharField(max_length=32, null=True)
    # tier codes it is offered to; empty: everyone
    tiers: fields.JSONField[list[Any]] = fields.JSONField(default=list, db_default=[])
    # LOTTERY: [{"name", "weight", "couponTemplate"}]
    prizes: fields.JSONField[list[Any]] = fields.JSONField(default=list, db_default=[])
    active = fields.BooleanField(default=True)

    class Meta:
        table = "rewards"
        constraints = (
            CheckConstraint(check="stock IS NULL OR stock >= 0", name="reward_stock_ok"),
        )


class RewardRedemption(models.Model):
    id = fields.BigIntField(primary_key=True)
    reward: fields.ForeignKeyRelation["Reward"] = fields.ForeignKeyField(
        "loyalty.Reward", related_name="redemptions", on_delete=fields.RESTRICT
    )
    reward_id: int
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="reward_redemptions", on_delete=fields.RESTRICT
    )
    member_id: int
    request_id = fields.CharField(max_length=64)  # the app's idempotency key
    quantity = fields.IntField()
    points = fields.BigIntField()
    # [{"prize", "couponCode"}]: coupons, draws
    outcomes: fields.JSONField[list[Any]] = fields.JSONField(default=list, db_default=[])
    entry: fields.ForeignKeyRelation["LedgerEntry"] = fields.ForeignKeyField(
        "loyalty.LedgerEntry", related_name="+", on_delete=fields.RESTRICT
    )
    entry_id: int
    created_at = fields.DatetimeField()

    class Meta:
        table = "reward_redemptions"
        unique_together = (("member_id", "request_id"),)
        indexes = (("reward_id", "member_id"),)


class ExpiryReminder(models.Model):
    """One reminder per member per expiry date: makes the reminder job idempotent."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="+", on_delete=fields.RESTRICT
    )
    member_id: int
    expires_on = fields.DateField()
    points = fields.BigIntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "points_expiry_reminders"
        append_only = True  # rows are only inserted (domain.db_roles)
        unique_together = (("member_id", "expires_on"),)


class PointsRebate(models.Model):
    """One year-end conversion per member and year (``domain.points.jobs.year_end_rebate``):
    the unique pair makes the job idempotent; the REBATE entry took the points."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation["Member"] = fields.ForeignKeyField(
        "loyalty.Member", related_name="points_rebates", on_delete=fields.RESTRICT
    )
    member_id: int
    year = fields.IntField()  # the business year (Asia/Shanghai) whose points were converted
    points = fields.BigIntField()
    value_fen = fields.BigIntField()
    entry: fields.ForeignKeyRelation["LedgerEntry"] = fields.ForeignKeyField(
        "loyalty.LedgerEntry", related_name="rebates", on_delete=fields.RESTRICT
    )
    entry_id: int
    coupon_code = fields.CharField(max_length=20)  # the rebate coupon issued for it
    created_at = fields.DatetimeField()

    class Meta:
        table = "points_rebates"
        append_only = True  # rows are only inserted (domain.db_roles)
        unique_together = (("member_id", "year"),)
