"""The nightly batch wrote tier history with reasons ``UP`` / ``DOWN`` while the order
path wrote ``UPGRADE`` / ``DOWNGRADE`` (issue 16, bug 1). One vocabulary now: the GraphQL
``TierChangeReason`` enum has no ``UP``, so rows written before are renamed in place (the
table is append-only for the app role; migrations run as the owner)."""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0014_points_year_rebates")]

    initial = False

    operations = [
        ops.RunSQL(
            "UPDATE tier_history SET reason = CASE reason WHEN 'UP' THEN 'UPGRADE' "
            "ELSE 'DOWNGRADE' END WHERE reason IN ('UP', 'DOWN')",
            reverse_sql="SELECT 1",
        ),
    ]
