"""Merging two records of one person and undoing it: nothing lost, nothing counted twice."""

from __future__ import annotations

from strawberry.relay import to_base64

from domain import clock
from domain.audit.tables import AuditEntry
from domain.coupons.issuing import issue_to
from domain.coupons.tables import Coupon
from domain.coupons.templates import template_by_code
from domain.members.tables import Member, MemberIdentity, MemberTag
from domain.orders.tables import Order
from domain.points.tables import PointsLot
from domain.tiers.tables import TierState
from tests.conftest import GQL, partner_token, sign_in_staff, wait_for
from tests.factories import (
    ADJUST,
    ORDER,
    REGISTER,
    account,
    ledger_sum,
    new_phone,
    order_input,
    pk_of,
)
from tests.factories import template as coupon_template

MERGE = """mutation($s: ID!, $a: ID!) { memberMerge(survivorId: $s, absorbedId: $a,
  reason: "同一顾客的两个手机号") { __typename ... on MemberMerge { id ...Report }
  ... on UserError { code } } }
fragment Report on MemberMerge { moved { area count }
  pointsMoved { balance pending debt total lots } couponsMoved { count ids redemptions } }"""
UNMERGE = """mutation($m: ID!) { memberUnmerge(mergeId: $m, reason: "误合并") {
  __typename ... on MemberMerge { undoneAt pointsMoved { total } couponsMoved { count } }
  ... on UserError { code } } }"""
LINK = """mutation($id: ID!, $x: String!) { identityLink(memberId: $id,
  channel: ECOMMERCE_BUYER, externalId: $x) { __typename } }"""
VIEW = """query($id: ID!) { customer360(memberId: $id) {
  member { status tier { code } tags identities { externalId } }
  recentOrders { externalId totalPaidFen } merges { id undoneAt } } }"""
LOOKUP = """query($p: String!) { memberLookup(ref: {phone: $p}) { ... on Member { id } } }"""


async def _orders(pos: GQL, gid: str, n: int, fen: int) -> None:
    """``n`` orders of ``fen`` each through orderCreate (their points stay pending)."""
    for _ in range(n):
        o = order_input("", fen=fen)
        o["member"] = {"memberId": gid}
        r = await pos(ORDER, {"in": o})
        assert r["data"]["orderCreate"]["__typename"] == "OrderCreateSuccess", r


async def _grant(agent: GQL, gid: str, points: int) -> None:
    r = await agent(ADJUST, {"id": gid, "p": points, "why": "测试赠送积分"})
    assert r["data"]["pointsAdjust"]["__typename"] == "Points", r


async def _both_placed(*pks: int) -> bool:
    return await TierState.filter(member_id__in=pks).count() == len(pks)


async def _state(pks: list[int]) -> dict:
    out = {}
    for pk in pks:
        m = await Member.get(id=pk)
        out[pk] = {
            "status": m.status,
            "tier": m.tier_id,
            "orders": sorted(await Order.filter(member_id=pk).values_list("id", flat=True)),
            "spent": sum(await Order.filter(member_id=pk).values_list("total_paid_fen", flat=True)),
            "identities": sorted(
                await MemberIdentity.filter(member_id=pk).values_list("external_id", flat=True)
            ),
            "tags": sorted(await MemberTag.filter(member_id=pk).values_list("tag", flat=True)),
            "points": await account(pk),
            "ledger": await ledger_sum(pk),
            "lots": await PointsLot.filter(member_id=pk).count(),
            "coupons": sorted(await Coupon.filter(member_id=pk).values_list("code", "source_ref")),
        }
    return out


async def test_merge_then_unmerge_restores_every_count(gql, client, seed, ladder):
    admin = await sign_in_staff(gql, "admin@test.cn")
    silver, gold = ladder["SILVER"], ladder["GOLD"]
    phones = [new_phone(), new_phone()]
    gids = []
    for phone in phones:
        r = await admin(REGISTER, {"in": {"phone": phone, "homeStoreCode": "SH01"}})
        gids.append(r["data"]["memberRegister"]["member"]["id"])
    survivor, absorbed = (pk_of(g) for g in gids)
    await MemberTag.create(member_id=absorbed, tag="fresh-food-lover", created_at=clock.now())
    pos = gql.as_(await partner_token(client, seed["partner"]))
    agent = await sign_in_staff(gql, "agent@test.cn")
    await _orders(pos, gids[0], 2, 1500)
    await _orders(pos, gids[1], 3, 2000)
    await _grant(agent, gids[0], 40)
    await _grant(agent, gids[1], 70)
    await admin(LINK, {"id": gids[0], "x": "jd-buyer-1"})
    await admin(LINK, {"id": gids[1], "x": "tb-buyer-2"})
    # once the orders' tier recomputation has placed both, staff set their tiers by hand
    await wait_for(lambda: _both_placed(survivor, absorbed))
    await Member.filter(id=survivor).update(tier_id=silver.id)
    await Member.filter(id=absorbed).update(tier_id=gold.id)
    offer = await template_by_code(await coupon_template(gql))
    for pk, ref in ((survivor, "birthday:2026"), (absorbed, "birthday:2026"), (absorbed, None)):
        assert not isinstance(await issue_to(offer, pk, source="TRIGGER", source_ref=ref), str)
    before = await _state([survivor, absorbed])
    assert before[survivor]["points"] == (40, 30, 0) and before[absorbed]["points"] == (70, 60, 0)

    absorbed_coupons = await Coupon.filter(member_id=absorbed).values_list("id", flat=True)
    absorbed_lots = await PointsLot.filter(member_id=absorbed, remaining__gt=0).count()
    merged = (await agent(MERGE, {"s": gids[0], "a": gids[1]}))["data"]["memberMerge"]
    assert merged["__typename"] == "MemberMerge"
    assert {m["area"]: m["count"] for m in merged["moved"]} == {
        "identities": 1,
        "orders": 3,
        "tags": 1,
        "coupons": 2,
    }
    # the report says what moved: the absorbed member's 70 points and 60 pending, and
    # its two coupons by global id (what staff read; it used to leave both out)
    assert merged["pointsMoved"] == {
        "balance": 70,
        "pending": 60,
        "debt": 0,
        "total": 130,
        "lots": absorbed_lots,
    }
    assert absorbed_lots > 0
    assert merged["couponsMoved"] == {
        "count": 2,
        "ids": [to_base64("Coupon", c) for c in sorted(absorbed_coupons)],
        "redemptions": 0,
    }
    after = await _state([survivor, absorbed])
    assert after[absorbed]["status"] == "MERGED" and after[absorbed]["orders"] == []
    assert after[survivor]["orders"] == sorted(
        before[survivor]["orders"] + before[absorbed]["orders"]
    )
    assert after[survivor]["spent"] == before[survivor]["spent"] + before[absorbed]["spent"]
    assert after[survivor]["tier"] == gold.id  # the higher tier is kept
    assert after[survivor]["identities"] == ["jd-buyer-1", "tb-buyer-2"]
    assert after[survivor]["tags"] == ["fresh-food-lover"]  # both bought: no "new"
    assert after[survivor]["points"] == (110, 90, 0) and after[absorbed]["points"] == (0, 0, 0)
    assert after[survivor]["ledger"] == 200 and after[absorbed]["ledger"] == 0
    # every coupon follows; the second birthday coupon keeps its own occasion
    assert after[absorbed]["coupons"] == []
    assert sorted(ref for _, ref in after[survivor]["coupons"] if ref) == [
        "birthday:2026",
        f"birthday:2026~{absorbed}",
    ]
    assert len(after[survivor]["coupons"]) == 3

    view = (await agent(VIEW, {"id": gids[0]}))["data"]["customer360"]
    assert len(view["recentOrders"]) == 5 and view["member"]["tier"] == {"code": "GOLD"}
    assert view["merges"] == [{"id": merged["id"], "undoneAt": None}]
    # the absorbed phone now finds the survivor
    found = (await agent(LOOKUP, {"p": phones[1]}))["data"]["memberLookup"]
    assert found == {"id": gids[0]}
    # an absorbed record cannot be merged again
    again = (await agent(MERGE, {"s": gids[0], "a": gids[1]}))["data"]["memberMerge"]
    assert again == {"__typename": "ConflictError", "code": "CONFLICT"}

    undone = (await agent(UNMERGE, {"m": merged["id"]}))["data"]["memberUnmerge"]
    assert undone["__typename"] == "MemberMerge" and undone["undoneAt"]
    # the undone merge still reports what it had moved (and what came back)
    assert undone["pointsMoved"] == {"total": 130} and undone["couponsMoved"] == {"count": 2}
    assert await _state([survivor, absorbed]) == before

    twice = (await agent(UNMERGE, {"m": merged["id"]}))["data"]["memberUnmerge"]
    assert twice == {"__typename": "ConflictError", "code": "CONFLICT"}
    assert await _state([survivor, absorbed]) == before
    actions = await AuditEntry.filter(target_id=str(survivor)).values_list("action", flat=True)
    assert actions.count("member.merge") == 1 and actions.count("member.unmerge") == 1


async def test_store_staff_cannot_merge_and_nothing_moves(gql, client, seed):
    admin = await sign_in_staff(gql, "admin@test.cn")
    gids = []
    for _ in range(2):
        r = await admin(REGISTER, {"in": {"phone": new_phone(), "homeStoreCode": "SH01"}})
        gids.append(r["data"]["memberRegister"]["member"]["id"])
    await _orders(gql.as_(await partner_token(client, seed["partner"])), gids[1], 1, 900)
    await wait_for(lambda: _both_placed(pk_of(gids[1])))  # the order's tier placement is done
    before = await _state([pk_of(g) for g in gids])
    store = await sign_in_staff(gql, "sh01@test.cn")
    r = await store(MERGE, {"s": gids[0], "a": gids[1]})
    assert r["data"] is None and r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    self_merge = (await admin(MERGE, {"s": gids[0], "a": gids[0]}))["data"]["memberMerge"]
    assert self_merge == {"__typename": "InvalidInputError", "code": "INVALID_INPUT"}
    assert await _state([pk_of(g) for g in gids]) == before
