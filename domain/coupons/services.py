"""A member's coupons as the app lists them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from domain import clock
from domain.coupons.tables import Coupon, CouponTemplate
from domain.coupons.templates import description


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


def row_of(c: Coupon, t: CouponTemplate, now: datetime) -> CouponRow:
    status = "EXPIRED" if c.status == "ACTIVE" and clock.utc(c.valid_until) <= now else c.status
    return CouponRow(
        id=c.id,
        code=c.code,
        status=status,
        name=t.name,
        kind=t.kind,
        description=description(t, c),
        valid_from=c.valid_from,
        valid_until=c.valid_until,
        issued_at=c.issued_at,
        source=c.source,
    )


async def row_for(c: Coupon) -> CouponRow:
    return row_of(c, await CouponTemplate.get(id=c.template_id), clock.now())  # type: ignore[attr-defined]


async def of_member(
    member_id: int, status: str | None, after_id: int | None, limit: int
) -> tuple[list[CouponRow], bool]:
    """A member's coupons, newest first. ACTIVE means usable now (the expiry job may
    not have run yet, so an ACTIVE row past its date counts as EXPIRED)."""
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
    rows = await q.order_by("-id").limit(limit + 1).prefetch_related("template")
    return [row_of(c, c.template, now) for c in rows[:limit]], len(rows) > limit
