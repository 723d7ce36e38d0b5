from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0015_tier_history_reasons')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FeedDismissal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member_id', fields.BigIntField()),
                ('item_key', fields.CharField(max_length=64)),
                ('reason', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'feed_dismissals', 'app': 'loyalty', 'unique_together': (('member_id', 'item_key'),), 'pk_attr': 'id', 'table_description': '"Not interested": the item (a product, an offer) stays out of the member\'s feed'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeedEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member_id', fields.BigIntField()),
                ('client_event_id', fields.CharField(max_length=64)),
                ('event', fields.CharField(max_length=12)),
                ('item_key', fields.CharField(max_length=64)),
                ('item_kind', fields.CharField(max_length=32)),
                ('product_id', fields.IntField(null=True)),
                ('store_id', fields.IntField(null=True)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'feed_events', 'app': 'loyalty', 'unique_together': (('member_id', 'client_event_id'),), 'indexes': [Index(fields=['occurred_at', 'item_kind'])], 'pk_attr': 'id', 'table_description': 'What the app reports of the feed: impressions, clicks, add-to-cart. Idempotent by'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeedMember',
            fields=[
                ('member_id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('doc', fields.TextField(unique=False)),
                ('version', fields.IntField(default=1)),
                ('rebuild_id', fields.BigIntField(null=True)),
                ('computed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'feed_members', 'app': 'loyalty', 'pk_attr': 'member_id', 'table_description': 'One row per member: their candidates and purchase rhythms, as one compact JSON'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeedMute',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member_id', fields.BigIntField()),
                ('category', fields.CharField(max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'feed_mutes', 'app': 'loyalty', 'unique_together': (('member_id', 'category'),), 'pk_attr': 'id', 'table_description': 'A category (path prefix) the member muted: none of it until they unmute.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeedNeighbour',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product_id', fields.IntField()),
                ('neighbour_id', fields.IntField()),
                ('score', fields.FloatField()),
                ('co_buyers', fields.IntField()),
                ('rank', fields.SmallIntField()),
            ],
            options={'table': 'feed_neighbours', 'app': 'loyalty', 'unique_together': (('product_id', 'neighbour_id'),), 'indexes': [Index(fields=['product_id', 'rank'])], 'pk_attr': 'id', 'table_description': 'Item-item similarity from co-purchases (cosine over member x product).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeedPopularity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('scope', fields.CharField(max_length=8)),
                ('scope_id', fields.IntField()),
                ('product_id', fields.IntField()),
                ('buyers', fields.IntField()),
                ('score', fields.FloatField()),
                ('rank', fields.IntField()),
            ],
            options={'table': 'feed_popularity', 'app': 'loyalty', 'unique_together': (('scope', 'scope_id', 'product_id'),), 'indexes': [Index(fields=['scope', 'scope_id', 'rank'])], 'pk_attr': 'id', 'table_description': 'What sells in the chain (scope CHAIN, scope_id 0), a region or a store.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeedPreference',
            fields=[
                ('member_id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('personalised', fields.BooleanField(default=True)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'feed_preferences', 'app': 'loyalty', 'pk_attr': 'member_id', 'table_description': "A member's feed choice (PIPL art. 24): personalised off = no personal history is"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeedProductStat',
            fields=[
                ('product_id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('first_sold_on', fields.DateField(null=True)),
                ('seasonal_lift', fields.FloatField(default=0)),
                ('replenishable', fields.BooleanField(default=False)),
                ('median_gap_days', fields.FloatField(null=True)),
            ],
            options={'table': 'feed_product_stats', 'app': 'loyalty', 'pk_attr': 'product_id', 'table_description': 'Per product: when it first sold in the window (new items), its seasonal lift for'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeedRebuild',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('status', fields.CharField(max_length=12)),
                ('window_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('window_end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ranges_total', fields.IntField(default=0)),
                ('ranges_done', fields.IntField(default=0)),
                ('members_done', fields.BigIntField(default=0)),
                ('detail', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'feed_rebuilds', 'app': 'loyalty', 'pk_attr': 'id', 'table_description': 'One nightly rebuild: the global phase, then member ranges as separate jobs.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeedRebuildRange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rebuild_id', fields.BigIntField()),
                ('lo', fields.BigIntField()),
                ('hi', fields.BigIntField()),
                ('members', fields.IntField(default=0)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'feed_rebuild_ranges', 'app': 'loyalty', 'unique_together': (('rebuild_id', 'lo'),), 'pk_attr': 'id', 'table_description': 'A member-id range of a rebuild, done once (the job is idempotent by this row).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeedRule',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('antecedent_id', fields.IntField()),
                ('consequent_id', fields.IntField()),
                ('baskets', fields.IntField()),
                ('support', fields.FloatField()),
                ('confidence', fields.FloatField()),
                ('lift', fields.FloatField()),
            ],
            options={'table': 'feed_rules', 'app': 'loyalty', 'unique_together': (('antecedent_id', 'consequent_id'),), 'indexes': [Index(fields=['consequent_id'])], 'pk_attr': 'id', 'table_description': 'Association rule antecedent -> consequent over baskets (one member, one day).'},
            bases=['Model'],
        ),
    ]
