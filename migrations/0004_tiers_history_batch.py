from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0003_orders_points_ledger')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TierBatchRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run_on', fields.DateField(unique=True)),
                ('last_member_id', fields.BigIntField(default=0)),
                ('changed', fields.IntField(default=0)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'tier_batch_runs', 'app': 'loyalty', 'pk_attr': 'id', 'table_description': 'One nightly run: the last member id done, so a crashed run resumes there.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TierHistory',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='tier_history', on_delete=OnDelete.RESTRICT)),
                ('from_tier', fields.ForeignKeyField('loyalty.Tier', source_field='from_tier_id', null=True, db_constraint=True, to_field='id', related_name='history_from', on_delete=OnDelete.RESTRICT)),
                ('to_tier', fields.ForeignKeyField('loyalty.Tier', source_field='to_tier_id', db_constraint=True, to_field='id', related_name='history_to', on_delete=OnDelete.RESTRICT)),
                ('reason', fields.CharField(max_length=24)),
                ('measure', fields.BigIntField()),
                ('detail', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'tier_history', 'app': 'loyalty', 'indexes': [Index(fields=['member_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TierState',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.OneToOneField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='tier_state', on_delete=OnDelete.CASCADE)),
                ('since', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('review_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('override_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reminded_for', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'tier_states', 'app': 'loyalty', 'pk_attr': 'id', 'table_description': 'Where a member stands in the ladder: since when, when the tier is next reviewed,'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Message',
            name='dedupe_key',
            field=fields.CharField(null=True, unique=True, max_length=96),
        ),
        ops.AddField(
            model_name='Tier',
            name='threshold_points',
            field=fields.BigIntField(default=0),
        ),
    ]
