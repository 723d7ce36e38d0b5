"""One thin function per job; each takes ids and calls one domain service.

Each area's module declares its actors with ``workers.actors.base.job`` (queue, retry
options, schedule); importing this package declares them all, in ``ALL_ACTORS``.
"""

from workers.actors import coupons, feeds, members, notifications, points, tiers
from workers.actors.base import ACTORS, SCHEDULED

ALL_ACTORS = ACTORS
__all__ = [
    "ALL_ACTORS",
    "SCHEDULED",
    "coupons",
    "feeds",
    "members",
    "notifications",
    "points",
    "tiers",
]
