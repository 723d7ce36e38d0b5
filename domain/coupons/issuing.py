"""Issuing coupons: by staff (with a report), by a member claiming, by triggers.

A member's coupons are issued under the member's row lock (per-member limits hold);
template stock moves by a conditional update (never oversold)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from domain import clock
from domain.audit import services as audit
from domain.auth.model import Principal
from domain.coupons import model as m
from domain.coupons import store
from domain.coupons.templates import template_by_code
from domain.db import in_transaction
from domain.errors import (
    CouponUnavailable,
    InvalidInput,
    MemberFrozen,
    NotFound,
)
from domain.members import store as members
from domain.members.model import Status, refuse_frozen
from domain.members.scope import get_visible
from domain.runtime import Runtime
from domain.tiers import store as tiers

if TYPE_CHECKING:
    from domain.coupons.tables import Coupon, CouponTemplate
    from domain.members.tables import Member


async def tier_code(member: Member) -> str:
    if member.tier_id is None:
        return ""
    codes = await tiers.codes(member.tier_id)
    return str(codes[0]) if codes else ""


async def usable_tier_code_of(member_id: int) -> str:
    """The tier code ("" when not placed) of a member who may use a coupon now, in one
    query; MemberFrozen for a frozen member (no coupons while frozen)."""
    holder = await tiers.code_and_status_of_member(member_id)
    if holder is None:
        return ""
    refuse_frozen(holder[1])
    return holder[0]


async def issue_locked(
    t: CouponTemplate,
    member: Member,
    *,
    source: str,
    source_ref: str | None = None,
    value_fen: int | None = None,
    now: datetime | None = None,
) -> Coupon | str:
    """Issue one coupon, or say why not. The caller holds ``member``'s row lock in an
    open transaction, which makes the per-member limit exact."""
    now = now or clock.now()
    if not t.active:
        return "TEMPLATE_INACTIVE"
    if t.valid_until is not None and now >= t.valid_until:
        return "ENDED"
    if member.status == Status.FROZEN.value:
        return "MEMBER_FROZEN"
    if member.status != Status.ACTIVE.value:
        return "MEMBER_NOT_ACTIVE"
    if t.tiers and await tier_code(member) not in t.tiers:
        return "NOT_ELIGIBLE"
    if source_ref is not None and await store.holds_occasion(t.id, member.id, source_ref):
        return "ALREADY_ISSUED"
    limit = t.per_member_limit
    if limit is not None and await store.held_count(t.id, member.id) >= limit:
        return "LIMIT_REACHED"
    won = await store.take_one(t.id, stocked=t.total_stock is not None)
    if not won:
        return "OUT_OF_STOCK"
    start, end = m.validity(now, t.valid_from, t.valid_until, t.validity_days)
    return await store.add_coupon(
        code=m.new_code(),
        template_id=t.id,
        member_id=member.id,
        value_fen=value_fen,
        source=source,
        source_ref=source_ref,
        issued_at=now,
        valid_from=start,
        valid_until=end,
    )


async def issue_to(
    t: CouponTemplate,
    member_id: int,
    *,
    source: str,
    source_ref: str | None = None,
    value_fen: int | None = None,
) -> Coupon | str:
    """``issue_locked`` in its own transaction (triggers, staff issues)."""
    async with in_transaction():
        member = await members.lock_or_none(member_id)
        if member is None:
            return "NOT_FOUND"
        return await issue_locked(
            t, member, source=source, source_ref=source_ref, value_fen=value_fen
        )


@dataclass(frozen=True)
class IssueReport:
    issued: list[tuple[int, str]]  # (member id, coupon code)
    skipped: list[tuple[int, str]]  # (member id, reason)


async def issue(
    rt: Runtime, viewer: Principal, template_code: str, member_ids: list[int], batch_id: str
) -> IssueReport:
    """Staff issue to a list of members: who got one, who did not and why. ``batchId``
    makes a rerun of the same list issue nothing twice."""
    batch_id = batch_id.strip()
    if not batch_id or len(batch_id) > 48:
        raise InvalidInput("batchId is 1-48 characters.", field="batchId")
    if not member_ids or len(member_ids) > 10_000:
        raise InvalidInput("Issue to 1-10,000 members at a time.", field="memberIds")
    t = await template_by_code(template_code)
    report = IssueReport([], [])
    for member_id in dict.fromkeys(member_ids):
        try:
            await get_visible(rt.settings, viewer, member_id)
        except NotFound:
            report.skipped.append((member_id, "NOT_FOUND"))
            continue
        got = await issue_to(t, member_id, source="STAFF", source_ref=f"batch:{batch_id}")
        if isinstance(got, str):
            report.skipped.append((member_id, got))
        else:
            report.issued.append((member_id, got.code))
    await audit.record(
        viewer,
        "coupon.issue",
        "coupon_template",
        t.id,
        batch=batch_id,
        issued=len(report.issued),
        skipped=len(report.skipped),
    )
    return report


CLAIM_MESSAGES = {
    "TEMPLATE_INACTIVE": "This coupon is no longer offered.",
    "ENDED": "This offer has ended.",
    "MEMBER_NOT_ACTIVE": "Your membership is not active.",
    "MEMBER_FROZEN": "Your membership is frozen.",
    "NOT_ELIGIBLE": "This coupon is for other tiers.",
    "LIMIT_REACHED": "You already have as many of these as allowed.",
    "OUT_OF_STOCK": "All of these coupons have been claimed.",
    "NOT_FOUND": "No such member.",
}


async def claim(viewer: Principal, template_code: str) -> Coupon:
    """A member claims a claimable coupon, within stock and their limit."""
    t = await template_by_code(template_code)
    if not t.claimable:
        raise NotFound("This coupon cannot be claimed.", field="templateCode")
    got = await issue_to(t, viewer.id or 0, source="CLAIM")
    if got == "MEMBER_FROZEN":  # checked under the member's row lock; nothing written
        raise MemberFrozen()
    if isinstance(got, str):
        raise CouponUnavailable(CLAIM_MESSAGES.get(got), reason=got)
    return got


async def claimable_many(member_ids: list[int]) -> dict[int, list[CouponTemplate]]:
    """``claimable`` for many members in three statements, whatever their number."""
    templates = await store.claimable_templates(clock.now())
    tiers = await store.tier_codes_of(member_ids)
    held = await store.held_of(member_ids)
    return {
        m: [
            t
            for t in templates
            if (not t.tiers or tiers.get(m, "") in t.tiers)
            and (t.per_member_limit is None or held[m].get(t.id, 0) < t.per_member_limit)
        ]
        for m in member_ids
    }
