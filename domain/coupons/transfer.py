"""The coupons step of a member merge: the absorbed member's coupons and redemptions
move to the survivor. A coupon issued to both for the same occasion (both got this
year's birthday coupon) keeps both, the moved one's occasion marked with the absorbed
id so the unique (template, member, occasion) still holds; unmerge moves exactly those
rows back and restores their occasions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.coupons.tables import Coupon, CouponRedemption
from domain.members.merge import register_participant

if TYPE_CHECKING:
    from domain.members.tables import Member


class CouponTransfer:
    name = "coupons"

    async def move(self, absorbed: Member, survivor: Member) -> dict[str, Any]:
        taken = set(
            await Coupon.filter(member_id=survivor.id, source_ref__isnull=False).values_list(
                "template_id", "source_ref"
            )
        )
        moved = []
        for cid, template_id, ref in await Coupon.filter(member_id=absorbed.id).values_list(
            "id", "template_id", "source_ref"
        ):
            new_ref = f"{ref}~{absorbed.id}" if (template_id, ref) in taken else ref
            await Coupon.filter(id=cid).update(member_id=survivor.id, source_ref=new_ref)
            moved.append([cid, ref])
        redemptions = await CouponRedemption.filter(member_id=absorbed.id).values_list(
            "id", flat=True
        )
        await CouponRedemption.filter(id__in=redemptions).update(member_id=survivor.id)
        return {"coupons": moved, "redemptions": list(redemptions)}

    async def restore(self, record: dict[str, Any], absorbed: Member, survivor: Member) -> None:
        for cid, ref in record["coupons"]:
            await Coupon.filter(id=cid, member_id=survivor.id).update(
                member_id=absorbed.id, source_ref=ref
            )
        await CouponRedemption.filter(id__in=record["redemptions"]).update(member_id=absorbed.id)


register_participant(CouponTransfer())
