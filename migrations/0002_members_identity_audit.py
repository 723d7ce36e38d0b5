from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

from domain.audit import guard

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor', fields.CharField(max_length=64)),
                ('actor_role', fields.CharField(default='', max_length=32)),
                ('action', fields.CharField(max_length=48)),
                ('target_type', fields.CharField(default='', max_length=32)),
                ('target_id', fields.CharField(default='', max_length=64)),
                ('detail', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('client_ip', fields.CharField(default='', max_length=64)),
                ('request_id', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'audit_log', 'app': 'loyalty', 'indexes': [Index(fields=['target_type', 'target_id', 'id']), Index(fields=['actor', 'id']), Index(fields=['action', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Card',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.OneToOneField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='card', on_delete=OnDelete.RESTRICT)),
                ('number', fields.CharField(unique=True, max_length=20)),
                ('status', fields.CharField(default='ACTIVE', max_length=16)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status_changed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'cards', 'app': 'loyalty', 'pk_attr': 'id', 'table_description': 'The one card of a member (unique member_id). Replacing it changes its number and'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CardHistory',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('card', fields.ForeignKeyField('loyalty.Card', source_field='card_id', db_constraint=True, to_field='id', related_name='history', on_delete=OnDelete.RESTRICT)),
                ('number', fields.CharField(unique=True, max_length=20)),
                ('status', fields.CharField(max_length=16)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'card_history', 'app': 'loyalty', 'pk_attr': 'id', 'table_description': 'A number the card had before, with why it stopped working.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Consent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='consents', on_delete=OnDelete.RESTRICT)),
                ('purpose', fields.CharField(max_length=32)),
                ('granted', fields.BooleanField()),
                ('policy_version', fields.CharField(max_length=16)),
                ('source', fields.CharField(max_length=32)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consents', 'app': 'loyalty', 'indexes': [Index(fields=['member_id', 'purpose', 'id'])], 'pk_attr': 'id', 'table_description': 'Append-only consent history: the newest row per (member, purpose) is in force.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberIdentity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='identities', on_delete=OnDelete.RESTRICT)),
                ('channel', fields.CharField(max_length=24)),
                ('external_id', fields.CharField(max_length=128)),
                ('linked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'member_identities', 'app': 'loyalty', 'unique_together': (('channel', 'external_id'),), 'indexes': [Index(fields=['member_id'])], 'pk_attr': 'id', 'table_description': 'An account of the member on another channel, unique per (channel, external id).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberMerge',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('survivor', fields.ForeignKeyField('loyalty.Member', source_field='survivor_id', db_constraint=True, to_field='id', related_name='merges_won', on_delete=OnDelete.RESTRICT)),
                ('absorbed', fields.ForeignKeyField('loyalty.Member', source_field='absorbed_id', db_constraint=True, to_field='id', related_name='merges_lost', on_delete=OnDelete.RESTRICT)),
                ('staff', fields.ForeignKeyField('loyalty.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='merges', on_delete=OnDelete.RESTRICT)),
                ('reason', fields.CharField(max_length=255)),
                ('moved', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('undone_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'member_merges', 'app': 'loyalty', 'pk_attr': 'id', 'table_description': 'One merge of ``absorbed`` into ``survivor``: what moved, so unmerge can undo it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberTag',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='tags', on_delete=OnDelete.CASCADE)),
                ('tag', fields.CharField(max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'member_tags', 'app': 'loyalty', 'unique_together': (('member_id', 'tag'),), 'indexes': [Index(fields=['tag', 'member_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Member',
            name='birth_md_hash',
            field=fields.CharField(null=True, db_index=True, max_length=64),
        ),
        ops.AddField(
            model_name='Member',
            name='birthday_enc',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Member',
            name='gender',
            field=fields.CharField(default='UNKNOWN', max_length=8),
        ),
        ops.AddField(
            model_name='Member',
            name='income_enc',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Member',
            name='merged_into',
            field=fields.ForeignKeyField('loyalty.Member', source_field='merged_into_id', null=True, db_constraint=True, to_field='id', related_name='absorbed', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Member',
            name='region',
            field=fields.ForeignKeyField('loyalty.Region', source_field='region_id', null=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Member',
            name='registered_by',
            field=fields.CharField(default='', max_length=64),
        ),
        ops.AddField(
            model_name='Member',
            name='updated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Member',
            index=Index(fields=['home_store_id', 'id']),
        ),
        ops.AddIndex(
            model_name='Member',
            index=Index(fields=['created_at', 'id']),
        ),
        ops.RunPython(guard.install),
    ]
