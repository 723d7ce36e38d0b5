from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0006_message_rules')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Message',
            name='variables',
            field=fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
