"""The feed read model (rebuilt nightly by ``domain.feeds.rebuild``) and the members'
feed signals. Only ``domain.feeds.store`` imports this module.

Product and member ids are plain integer columns, not foreign keys: the read model is
replaced wholesale by the rebuild and must not hold up a product or member change.
"""

from typing import Any

from tortoise import fields, models


class FeedNeighbour(models.Model):
    """Item-item similarity from co-purchases (cosine over member x product)."""

    id = fields.BigIntField(primary_key=True)
    product_id = fields.IntField()
    neighbour_id = fields.IntField()
    score = fields.FloatField()
    co_buyers = fields.IntField()  # members who bought both
    rank = fields.SmallIntField()  # 1 = most similar

    class Meta:
        table = "feed_neighbours"
        unique_together = (("product_id", "neighbour_id"),)
        indexes = (("product_id", "rank"),)


class FeedRule(models.Model):
    """Association rule antecedent -> consequent over baskets (one member, one day)."""

    id = fields.BigIntField(primary_key=True)
    antecedent_id = fields.IntField()
    consequent_id = fields.IntField()
    baskets = fields.IntField()  # baskets holding both
    support = fields.FloatField()
    confidence = fields.FloatField()
    lift = fields.FloatField()

    class Meta:
        table = "feed_rules"
        unique_together = (("antecedent_id", "consequent_id"),)
        indexes = (("consequent_id",),)


class FeedPopularity(models.Model):
    """What sells in the chain (scope CHAIN, scope_id 0), a region or a store."""

    id = fields.BigIntField(primary_key=True)
    scope = fields.CharField(max_length=8)  # CHAIN / REGION / STORE (model.PopularityScope)
    scope_id = fields.IntField()
    product_id = fields.IntField()
    buyers = fields.IntField()
    score = fields.FloatField()
    rank = fields.IntField()

    class Meta:
        table = "feed_popularity"
        unique_together = (("scope", "scope_id", "product_id"),)
        indexes = (("scope", "scope_id", "rank"),)


class FeedProductStat(models.Model):
    """Per product: when it first sold in the window (new items), its seasonal lift for
    the coming weeks, and whether members rebuy it regularly (replenishable)."""

    product_id = fields.IntField(primary_key=True)
    first_sold_on = fields.DateField(null=True)
    seasonal_lift = fields.FloatField(default=0)
    replenishable = fields.BooleanField(default=False)
    median_gap_days = fields.FloatField(null=True)

    class Meta:
        table = "feed_product_stats"


class FeedMember(models.Model):
    """One row per member: their candidates and purchase rhythms, as one compact JSON
    document (``model.MemberModel``), read whole by the feed and rewritten by the rebuild
    and by each new order. ``version`` grows on every write (feed caches key on it)."""

    member_id = fields.BigIntField(primary_key=True)
    doc = fields.TextField()  # model.MemberModel.dumps()
    version = fields.IntField(default=1)
    rebuild_id = fields.BigIntField(null=True)  # null: written by an order, not a rebuild
    computed_at = fields.DatetimeField()

    class Meta:
        table = "feed_members"


class FeedRebuild(models.Model):
    """One nightly rebuild: the global phase, then member ranges as separate jobs."""

    id = fields.BigIntField(primary_key=True)
    status = fields.CharField(max_length=12)  # model.RebuildStatus
    window_start = fields.DatetimeField()
    window_end = fields.DatetimeField()
    ranges_total = fields.IntField(default=0)
    ranges_done = fields.IntField(default=0)
    members_done = fields.BigIntField(default=0)
    detail: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)  # per phase
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "feed_rebuilds"


class FeedRebuildRange(models.Model):
    """A member-id range of a rebuild, done once (the job is idempotent by this row)."""

    id = fields.BigIntField(primary_key=True)
    rebuild_id = fields.BigIntField()
    lo = fields.BigIntField()  # member ids lo <= id < hi
    hi = fields.BigIntField()
    members = fields.IntField(default=0)
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "feed_rebuild_ranges"
        unique_together = (("rebuild_id", "lo"),)


class FeedPreference(models.Model):
    """A member's feed choice (PIPL art. 24): personalised off = no personal history is
    used for them and their purchases leave the training set at the next rebuild."""

    member_id = fields.BigIntField(primary_key=True)
    personalised = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "feed_preferences"


class FeedDismissal(models.Model):
    """ "Not interested": the item (a product, an offer) stays out of the member's feed
    until ``until``."""

    id = fields.BigIntField(primary_key=True)
    member_id = fields.BigIntField()
    item_key = fields.CharField(max_length=64)  # model.ItemKey text: "product:12"
    reason = fields.CharField(max_length=16)  # model.DismissReason
    created_at = fields.DatetimeField()
    until = fields.DatetimeField()

    class Meta:
        table = "feed_dismissals"
        unique_together = (("member_id", "item_key"),)


class FeedMute(models.Model):
    """A category (path prefix) the member muted: none of it until they unmute."""

    id = fields.BigIntField(primary_key=True)
    member_id = fields.BigIntField()
    category = fields.CharField(max_length=128)
    created_at = fields.DatetimeField()

    class Meta:
        table = "feed_mutes"
        unique_together = (("member_id", "category"),)


class FeedEvent(models.Model):
    """What the app reports of the feed: impressions, clicks, add-to-cart. Idempotent by
    the client's event id per member."""

    id = fields.BigIntField(primary_key=True)
    member_id = fields.BigIntField()
    client_event_id = fields.CharField(max_length=64)
    event = fields.CharField(max_length=12)  # model.FeedEventType
    item_key = fields.CharField(max_length=64)
    item_kind = fields.CharField(max_length=32)  # model.FeedKind (the longest has 25)
    product_id = fields.IntField(null=True)
    store_id = fields.IntField(null=True)  # the member's home store when recorded
    occurred_at = fields.DatetimeField()
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "feed_events"
        unique_together = (("member_id", "client_event_id"),)
        indexes = (("occurred_at", "item_kind"),)
