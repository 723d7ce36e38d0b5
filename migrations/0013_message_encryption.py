from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from domain.notifications import sealing

# Message text and template variables were stored in clear (display names, sign-in
# codes). They move to AES-GCM columns: rows already there are encrypted with the
# keys of the process running `loyalty migrate` (DATA_KEYS / DATA_KEY_ID), sign-in
# codes of messages already sent are erased, and the clear columns are dropped.


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0012_pending_lots_partial_index")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Message",
            name="body_enc",
            field=fields.TextField(default="", db_default=""),
        ),
        ops.AddField(
            model_name="Message",
            name="variables_enc",
            field=fields.TextField(default="", db_default=""),
        ),
        ops.RunPython(sealing.encrypt_clear_rows),
        ops.RemoveField(model_name="Message", name="body"),
        ops.RemoveField(model_name="Message", name="variables"),
    ]
