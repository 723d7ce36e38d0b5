from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

from domain.db_checks import add_checks

CHECKS = [
    ('points_accounts', 'points_balance_ok', 'balance >= 0 OR overdraft_ok'),
    ('points_accounts', 'points_pending_debt_ok', 'pending >= 0 AND debt >= 0'),
    ('points_lots', 'points_lot_remaining_ok', 'remaining >= 0'),
    ('rewards', 'reward_stock_ok', 'stock IS NULL OR stock >= 0'),
]
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0002_members_identity_audit')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EarnRules',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('points_per_yuan', fields.IntField(default=1)),
                ('daily_cap', fields.IntField(null=True)),
                ('excluded_categories', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('excluded_skus', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_by', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'earn_rules', 'app': 'loyalty', 'pk_attr': 'id', 'table_description': 'The earning rules of the chain (one row, id 1), edited by marketing staff.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExpiryReminder',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='+', on_delete=OnDelete.RESTRICT)),
                ('expires_on', fields.DateField()),
                ('points', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'points_expiry_reminders', 'app': 'loyalty', 'unique_together': (('member_id', 'expires_on'),), 'pk_attr': 'id', 'table_description': 'One reminder per member per expiry date: makes the reminder job idempotent.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='ledger', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=16)),
                ('points', fields.BigIntField()),
                ('reason', fields.CharField(max_length=255)),
                ('breakdown', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('order', fields.ForeignKeyField('loyalty.Order', source_field='order_id', null=True, db_constraint=True, to_field='id', related_name='ledger', on_delete=OnDelete.RESTRICT)),
                ('actor', fields.CharField(default='', max_length=64)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ledger_entries', 'app': 'loyalty', 'indexes': [Index(fields=['member_id', 'id']), Index(fields=['order_id', 'kind'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PointsAccount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.OneToOneField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='points_account', on_delete=OnDelete.RESTRICT)),
                ('balance', fields.BigIntField(default=0)),
                ('pending', fields.BigIntField(default=0)),
                ('debt', fields.BigIntField(default=0)),
                ('overdraft_ok', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'points_accounts', 'app': 'loyalty', 'constraints': [CheckConstraint(check='balance >= 0 OR overdraft_ok', name='points_balance_ok'), CheckConstraint(check='pending >= 0 AND debt >= 0', name='points_pending_debt_ok')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PointsCampaign',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=64)),
                ('multiplier_pct', fields.IntField()),
                ('starts_on', fields.DateField()),
                ('ends_on', fields.DateField()),
                ('weekdays', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'points_campaigns', 'app': 'loyalty', 'pk_attr': 'id', 'table_description': 'A points multiplier for a date range and optional weekdays (e.g. member day x2).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PointsLot',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='lots', on_delete=OnDelete.RESTRICT)),
                ('entry', fields.ForeignKeyField('loyalty.LedgerEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='lots', on_delete=OnDelete.RESTRICT)),
                ('order', fields.ForeignKeyField('loyalty.Order', source_field='order_id', null=True, db_constraint=True, to_field='id', related_name='lots', on_delete=OnDelete.RESTRICT)),
                ('points', fields.BigIntField()),
                ('remaining', fields.BigIntField()),
                ('available_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('released_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'points_lots', 'app': 'loyalty', 'constraints': [CheckConstraint(check='remaining >= 0', name='points_lot_remaining_ok')], 'indexes': [Index(fields=['member_id', 'expires_at', 'id']), Index(fields=['released_at', 'available_at']), Index(fields=['expires_at', 'remaining'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Refund',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('loyalty.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT)),
                ('partner', fields.ForeignKeyField('loyalty.PartnerApp', source_field='partner_id', null=True, db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT)),
                ('external_id', fields.CharField(max_length=64)),
                ('amount_fen', fields.BigIntField()),
                ('lines', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('points_reversed', fields.BigIntField(default=0)),
                ('points_returned', fields.BigIntField(default=0)),
                ('request_hash', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refunds', 'app': 'loyalty', 'unique_together': (('partner', 'external_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reward',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=64)),
                ('kind', fields.CharField(max_length=16)),
                ('points_cost', fields.IntField()),
                ('stock', fields.IntField(null=True)),
                ('per_member_limit', fields.IntField(null=True)),
                ('coupon_template_code', fields.CharField(null=True, max_length=32)),
                ('active', fields.BooleanField(default=True)),
            ],
            options={'table': 'rewards', 'app': 'loyalty', 'constraints': [CheckConstraint(check='stock IS NULL OR stock >= 0', name='reward_stock_ok')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RewardRedemption',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reward', fields.ForeignKeyField('loyalty.Reward', source_field='reward_id', db_constraint=True, to_field='id', related_name='redemptions', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='reward_redemptions', on_delete=OnDelete.RESTRICT)),
                ('request_id', fields.CharField(max_length=64)),
                ('quantity', fields.IntField()),
                ('points', fields.BigIntField()),
                ('entry', fields.ForeignKeyField('loyalty.LedgerEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='+', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reward_redemptions', 'app': 'loyalty', 'unique_together': (('member_id', 'request_id'),), 'indexes': [Index(fields=['reward_id', 'member_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Order',
            name='coupon_codes',
            field=fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Order',
            name='points_earned',
            field=fields.BigIntField(default=0),
        ),
        ops.AddField(
            model_name='Order',
            name='points_redeemed',
            field=fields.BigIntField(default=0),
        ),
        ops.AddField(
            model_name='Order',
            name='points_reversed',
            field=fields.BigIntField(default=0),
        ),
        ops.AddField(
            model_name='Order',
            name='refunded_fen',
            field=fields.BigIntField(default=0),
        ),
        ops.AddField(
            model_name='Order',
            name='request_hash',
            field=fields.CharField(default='', max_length=64),
        ),
        ops.AddField(
            model_name='Order',
            name='status',
            field=fields.CharField(default='PAID', max_length=24),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='refunded_quantity',
            field=fields.IntField(default=0),
        ),
        ops.RunPython(lambda apps, editor: add_checks(editor, CHECKS)),
    ]
