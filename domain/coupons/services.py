"""A member's coupons as the app lists them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from domain import clock
from domain.coupons import store
from domain.coupons.model import DESCRIBED
from domain.coupons.templates import describe

if TYPE_CHECKING:
    from domain.coupons.tables import Coupon


@dataclass(frozen=True)
class CouponRow:
    id: int
    member_id: int
    code: str
    status: str  # ACTIVE / USED / EXPIRED, as of now
    name: str
    kind: str
    description: str
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    source: str


def row_of(v: dict, now: datetime) -> CouponRow:
    """A coupon from a row of ``SELECT`` (its template's columns prefixed ``t_``)."""
    expired = v["status"] == "ACTIVE" and clock.utc(v["valid_until"]) <= now
    return CouponRow(
        id=v["id"],
        member_id=v["member_id"],
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


async def row_for(c: Coupon) -> CouponRow:
    return row_of((await store.list_rows("c.id = :id", id=c.id, limit=1))[0], clock.now())


async def of_member(
    member_id: int, status: str | None, after_id: int | None, limit: int
) -> tuple[list[CouponRow], bool]:
    """A member's coupons, newest first, in one query reading only what the list shows.
    ACTIVE means usable now (the expiry job may not have run yet, so an ACTIVE row past
    its date counts as EXPIRED)."""
    now = clock.utc(clock.now())
    where = "c.member_id = :member" + store.STATUS[status]
    if after_id is not None:
        where += " AND c.id < :after"
    rows = await store.list_rows(where, member=member_id, now=now, after=after_id, limit=limit + 1)
    return [row_of(v, now) for v in rows[:limit]], len(rows) > limit


async def by_ids(ids: list[int]) -> dict[int, CouponRow]:
    """Coupons by id (for ``node``; the caller applies member scope to ``member_id``)."""
    now = clock.utc(clock.now())
    found = {}
    for coupon_id in ids:
        for v in await store.list_rows("c.id = :id", id=coupon_id, limit=1):
            found[coupon_id] = row_of(v, now)
    return found
