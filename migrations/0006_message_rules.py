from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0005_dead_letters')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Message',
            name='reason',
            field=fields.CharField(default='', max_length=128),
        ),
        ops.AddField(
            model_name='Message',
            name='send_after',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Message',
            index=Index(fields=['member_id', 'channel', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Message',
            index=Index(fields=['status', 'send_after']),
        ),
    ]
