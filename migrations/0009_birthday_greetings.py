from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0008_message_send_lease')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BirthdayGreeting',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='birthday_greetings', on_delete=OnDelete.RESTRICT)),
                ('year', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'birthday_greetings', 'app': 'loyalty', 'unique_together': (('member_id', 'year'),), 'pk_attr': 'id', 'table_description': 'One birthday event per member and year: makes the birthday job idempotent.'},
            bases=['Model'],
        ),
    ]
