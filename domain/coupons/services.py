"""A member's coupons as the app lists them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from domain import clock
from domain.coupons.tables import Coupon
from domain.coupons.templates import DESCRIBED, describe


@dataclass(frozen=True)
class CouponRow:
    id: int
    code: str
    status: str  # ACTIVE / USED / EXPIRED, as of now
    name: str
    kind: str
    description: str
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    source: str


COLUMNS = ("id", "code", "status", "valid_from", "valid_until", "issued_at", "source", "value_fen")
TEMPLATE_COLUMNS = {f"t_{k}": f"template__{k}" for k in (*DESCRIBED, "name", "validity_days")}


def row_of(v: dict, now: datetime) -> CouponRow:
    """A coupon from its ``COLUMNS`` and its template's ``TEMPLATE_COLUMNS``."""
    expired = v["status"] == "ACTIVE" and clock.utc(v["valid_until"]) <= now
    return CouponRow(
        id=v["id"],
        code=v["code"],
        status="EXPIRED" if expired else v["status"],
        name=v["t_name"],
        kind=v["t_kind"],
        description=describe(
            {k: v[f"t_{k}"] for k in DESCRIBED},
            v["valid_until"],
            v["t_validity_days"],
            v["value_fen"],
        ),
        valid_from=v["valid_from"],
        valid_until=v["valid_until"],
        issued_at=v["issued_at"],
        source=v["source"],
    )


def _read(q):
    return q.values(*COLUMNS, **TEMPLATE_COLUMNS)


async def row_for(c: Coupon) -> CouponRow:
    return row_of((await _read(Coupon.filter(id=c.id)))[0], clock.now())


async def of_member(
    member_id: int, status: str | None, after_id: int | None, limit: int
) -> tuple[list[CouponRow], bool]:
    """A member's coupons, newest first, in one query reading only what the list shows.
    ACTIVE means usable now (the expiry job may not have run yet, so an ACTIVE row past
    its date counts as EXPIRED)."""
    now = clock.now()
    q = Coupon.filter(member_id=member_id)
    if status == "ACTIVE":
        q = q.filter(status="ACTIVE", valid_until__gt=now)
    elif status == "EXPIRED":
        q = q.filter(Q(status="EXPIRED") | Q(status="ACTIVE", valid_until__lte=now))
    elif status == "USED":
        q = q.filter(status="USED")
    if after_id is not None:
        q = q.filter(id__lt=after_id)
    rows = await _read(q.order_by("-id").limit(limit + 1))
    return [row_of(v, now) for v in rows[:limit]], len(rows) > limit
