from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0013_message_encryption')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PointsRebate',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='points_rebates', on_delete=OnDelete.RESTRICT)),
                ('year', fields.IntField()),
                ('points', fields.BigIntField()),
                ('value_fen', fields.BigIntField()),
                ('entry', fields.ForeignKeyField('loyalty.LedgerEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='rebates', on_delete=OnDelete.RESTRICT)),
                ('coupon_code', fields.CharField(max_length=20)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'points_rebates', 'app': 'loyalty', 'unique_together': (('member_id', 'year'),), 'pk_attr': 'id', 'table_description': 'One year-end conversion per member and year (``domain.points.jobs.year_end_rebate``):'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='EarnRules',
            options={'table': 'earn_rules', 'app': 'loyalty', 'pk_attr': 'id', 'table_description': 'The earning rules of the chain (one row, id 1), changed by admins.'},
        ),
    ]
