"""The global SMS spend cap on sign-in codes: every API process together sends at most
SMS_CAP_PER_HOUR codes an hour and SMS_CAP_PER_DAY a (Asia/Shanghai) day.

Per-number and per-IP limits stop one caller; SMS pumping from many numbers and
addresses is stopped only by a ceiling on what is spent. Counted in the shared cache
(Redis in production) per clock hour and business day; a code refused by the cap is not
counted and no SMS goes out. For alerts: ``sms_spend_used`` / ``sms_spend_cap`` per
window (alert well before 1) and ``sms_spend_refused_total``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from prometheus_client import Counter, Gauge

from domain import clock
from domain.cache import Cache, hit
from domain.errors import RateLimited
from domain.notifications.model import SHANGHAI
from domain.runtime import Runtime

USED = Gauge(
    "sms_spend_used",
    "Sign-in SMS sent in the current window, all processes",
    ["window"],
    multiprocess_mode="mostrecent",
)
CAP = Gauge(
    "sms_spend_cap", "SMS_CAP_PER_HOUR / SMS_CAP_PER_DAY", ["window"], multiprocess_mode="max"
)
REFUSED = Counter(
    "sms_spend_refused_total",
    "Sign-in codes refused because an SMS spend cap was reached",
    ["window"],
)


def _windows(rt: Runtime, now: datetime) -> list[tuple[str, str, int, int]]:
    """(window, cache key, cap, seconds the key lives) for each capped window."""
    s = rt.settings
    hour = now.strftime("%Y%m%d%H")
    day = clock.business_date(now).isoformat()
    return [
        (name, key, cap, ttl)
        for name, key, cap, ttl in (
            ("hour", f"sms:spend:hour:{hour}", s.sms_cap_per_hour, 2 * 3600),
            ("day", f"sms:spend:day:{day}", s.sms_cap_per_day, 26 * 3600),
        )
        if cap > 0
    ]


def _seconds_left(window: str, now: datetime) -> int:
    if window == "hour":
        return max(3600 - now.minute * 60 - now.second, 1)
    local = now.astimezone(SHANGHAI)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=SHANGHAI)
    return max(int((midnight - local).total_seconds()), 1)


async def spend_one(rt: Runtime) -> None:
    """Count one SMS against the caps, or raise RateLimited (nothing counted) when a cap
    is reached."""
    now = clock.now()
    taken: list[tuple[Cache, str]] = []
    for window, key, cap, ttl in _windows(rt, now):
        used, _left = await hit(rt.cache, key, ttl)
        taken.append((rt.cache, key))
        CAP.labels(window=window).set(cap)
        if used > cap:
            for cache, k in taken:  # give back what this refused code counted
                await cache.incr(k, -1)
            USED.labels(window=window).set(cap)
            REFUSED.labels(window=window).inc()
            raise RateLimited(
                f"Sign-in codes are paused: the SMS budget of this {window} is spent. "
                "Try again later.",
                retry_after_s=_seconds_left(window, now),
            )
        USED.labels(window=window).set(used)
