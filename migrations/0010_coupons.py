from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0009_birthday_greetings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Coupon',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=20)),
                ('template', fields.ForeignKeyField('loyalty.CouponTemplate', source_field='template_id', db_constraint=True, to_field='id', related_name='coupons', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='coupons', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharField(default='ACTIVE', max_length=8)),
                ('value_fen', fields.BigIntField(null=True)),
                ('source', fields.CharField(max_length=16)),
                ('source_ref', fields.CharField(null=True, max_length=64)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('valid_from', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('valid_until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reminded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'coupons', 'app': 'loyalty', 'unique_together': (('template_id', 'member_id', 'source_ref'),), 'indexes': [Index(fields=['member_id', 'status', 'valid_until']), Index(fields=['status', 'valid_until'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CouponRedemption',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('coupon', fields.ForeignKeyField('loyalty.Coupon', source_field='coupon_id', db_constraint=True, to_field='id', related_name='redemptions', on_delete=OnDelete.RESTRICT)),
                ('partner', fields.ForeignKeyField('loyalty.PartnerApp', source_field='partner_id', null=True, db_constraint=True, to_field='id', related_name='+', on_delete=OnDelete.RESTRICT)),
                ('order_external_id', fields.CharField(max_length=64)),
                ('order', fields.ForeignKeyField('loyalty.Order', source_field='order_id', null=True, db_constraint=True, to_field='id', related_name='coupon_redemptions', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='coupon_redemptions', on_delete=OnDelete.RESTRICT)),
                ('discount_fen', fields.BigIntField()),
                ('status', fields.CharField(default='REDEEMED', max_length=8)),
                ('redeemed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('voided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'coupon_redemptions', 'app': 'loyalty', 'unique_together': (('coupon_id', 'partner_id', 'order_external_id'),), 'indexes': [Index(fields=['partner_id', 'order_external_id']), Index(fields=['member_id', 'redeemed_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='CouponTemplate',
            name='per_member_limit',
            field=fields.IntField(null=True, default=1),
        ),
        ops.AlterField(
            model_name='CouponTemplate',
            name='validity_days',
            field=fields.IntField(null=True, default=30),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='budget_fen',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='budget_left_fen',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='cap_fen',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='channels',
            field=fields.JSONField(default=list, db_default=[], encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='claimable',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='created_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='discount_given_fen',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='discounted_items_count',
            field=fields.BooleanField(default=True, db_default=True),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='exclude_categories',
            field=fields.JSONField(default=list, db_default=[], encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='exclude_skus',
            field=fields.JSONField(default=list, db_default=[], encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='exclusive',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='gift_sku',
            field=fields.CharField(default='', db_default='', max_length=32),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='hour_from',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='hour_to',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='include_categories',
            field=fields.JSONField(default=list, db_default=[], encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='include_skus',
            field=fields.JSONField(default=list, db_default=[], encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='issued_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='ladder',
            field=fields.JSONField(default=list, db_default=[], encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='limit_period',
            field=fields.CharField(default='', db_default='', max_length=8),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='period_limit',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='stacking_group',
            field=fields.CharField(default='', db_default='', max_length=32),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='stock_left',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='stores',
            field=fields.JSONField(default=list, db_default=[], encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='tiers',
            field=fields.JSONField(default=list, db_default=[], encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='trigger',
            field=fields.CharField(default='', db_default='', max_length=16),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='valid_from',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='valid_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='CouponTemplate',
            name='weekdays',
            field=fields.JSONField(default=list, db_default=[], encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddConstraint(
            model_name='CouponTemplate',
            constraint=CheckConstraint(check='stock_left IS NULL OR stock_left >= 0', name='coupon_stock_ok'),
        ),
        ops.AddConstraint(
            model_name='CouponTemplate',
            constraint=CheckConstraint(check='budget_left_fen IS NULL OR budget_left_fen >= 0', name='coupon_budget_ok'),
        ),
        ops.AddField(
            model_name='Reward',
            name='prizes',
            field=fields.JSONField(default=list, db_default=[], encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Reward',
            name='tiers',
            field=fields.JSONField(default=list, db_default=[], encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='RewardRedemption',
            name='outcomes',
            field=fields.JSONField(default=list, db_default=[], encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
