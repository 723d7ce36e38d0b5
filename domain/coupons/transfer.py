"""The coupons step of a member merge: the absorbed member's coupons and redemptions
move to the survivor. A coupon issued to both for the same occasion (both got this
year's birthday coupon) keeps both, the moved one's occasion marked with the absorbed
id so the unique (template, member, occasion) still holds; unmerge moves exactly those
rows back and restores their occasions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.coupons import store
from domain.members.merge import register_participant

if TYPE_CHECKING:
    from domain.members.tables import Member


class CouponTransfer:
    name = "coupons"

    async def move(self, absorbed: Member, survivor: Member) -> dict[str, Any]:
        taken = await store.occasions_held(survivor.id)
        moved = []
        for cid, template_id, ref in await store.coupons_of(absorbed.id):
            new_ref = f"{ref}~{absorbed.id}" if (template_id, ref) in taken else ref
            await store.move_coupon(cid, survivor.id, new_ref)
            moved.append([cid, ref])
        redemptions = await store.redemption_ids_of(absorbed.id)
        await store.move_redemptions(redemptions, survivor.id)
        return {"coupons": moved, "redemptions": list(redemptions)}

    async def restore(self, record: dict[str, Any], absorbed: Member, survivor: Member) -> None:
        for cid, ref in record["coupons"]:
            await store.move_coupon(cid, absorbed.id, ref, from_member=survivor.id)
        await store.move_redemptions(record["redemptions"], absorbed.id)


register_participant(CouponTransfer())
