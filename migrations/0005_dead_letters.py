from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0004_tiers_history_batch')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DeadLetter',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.CharField(max_length=64)),
                ('queue', fields.CharField(max_length=64)),
                ('message_id', fields.CharField(unique=True, max_length=64)),
                ('args', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('kwargs', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('error', fields.TextField(unique=False)),
                ('retries', fields.IntField(default=0)),
                ('failed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('replayed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'dead_letters', 'app': 'loyalty', 'indexes': [Index(fields=['replayed_at', 'id'])], 'pk_attr': 'id', 'table_description': 'A job that failed every retry, kept for admins to see and to replay.'},
            bases=['Model'],
        ),
    ]
