from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0010_coupons")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="PointsLot",
            index=Index(fields=["member_id", "released_at", "available_at"]),
        ),
    ]
