from tortoise import migrations
from tortoise.migrations import operations as ops

# The release job's index covers pending lots only. As (released_at, available_at) over
# every lot, it looked cheapest to the planner for a member's pending lots whenever the
# statistics still said no lot was pending (after a bulk load, or before autovacuum had
# analysed the day's orders): member home then walked every pending lot (0.05 -> 35 ms).
# A partial index is costed by its real size. Tortoise's PartialIndex writes only
# `column = value`, so the IS NULL condition is plain SQL (same on PostgreSQL and SQLite).
PENDING = "points_lots_pending"


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0011_member_pending_lots")]

    initial = False

    operations = [
        ops.RemoveIndex(model_name="PointsLot", fields=["released_at", "available_at"]),
        ops.RunSQL(
            f"CREATE INDEX {PENDING} ON points_lots (available_at) WHERE released_at IS NULL",
            reverse_sql=f"DROP INDEX {PENDING}",
        ),
    ]
