"""Orders and the points ledger through the API: idempotency, refunds, lots, policies."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain import clock
from domain.orders.tables import Order
from domain.points import jobs
from domain.points.model import business_day
from domain.points.tables import LedgerEntry, PointsLot
from domain.points.verify import verify
from tests.conftest import partner_token, sign_in_staff
from tests.factories import (
    ADJUST,
    ORDER,
    POINTS,
    REFUND,
    account,
    allow_backdating,
    ledger_sum,
    order_input,
    pos_and_member,
    snapshot,
)


async def release_after_return_window(settings) -> int:
    """Run the release job as it would run once the return window has passed (the clock
    goes back after it, so the test's access tokens stay valid)."""
    clock.advance(timedelta(days=settings.points_pending_days, minutes=1))
    try:
        return await jobs.release_due()
    finally:
        clock.reset()


async def test_order_retries_credit_once_forever_and_changes_conflict(gql, client, seed):
    pos, card, pk = await pos_and_member(gql, client, seed)
    sequential = order_input(card)
    answers = [(await pos(ORDER, {"in": sequential}))["data"]["orderCreate"] for _ in range(5)]
    assert [a["replayed"] for a in answers] == [False, True, True, True, True]
    assert {a["order"]["pointsEarned"] for a in answers} == {100}

    concurrent = order_input(card)
    results = await asyncio.gather(*(pos(ORDER, {"in": concurrent}) for _ in range(5)))
    answers = [r["data"]["orderCreate"] for r in results]
    assert sorted(a["replayed"] for a in answers) == [False, True, True, True, True]
    assert (await account(pk))[1] == 200  # pending: two orders of 100 points

    clock.advance(timedelta(hours=48))
    pos = gql.as_(await partner_token(client, seed["partner"]))  # the old token has expired
    late = (await pos(ORDER, {"in": sequential}))["data"]["orderCreate"]
    assert late["replayed"] is True and late["order"]["pointsEarned"] == 100
    before = await snapshot(pk)
    changed = {**sequential, "totalPaidFen": 9_000}
    refused = (await pos(ORDER, {"in": changed}))["data"]["orderCreate"]
    assert refused["__typename"] == "IdempotencyConflictError"
    assert await snapshot(pk) == before
    earns = await LedgerEntry.filter(member_id=pk, kind="EARN").count()
    assert earns == 2 and await ledger_sum(pk) == 200


async def test_bad_orders_are_typed_and_write_nothing(gql, client, seed):
    pos, card, pk = await pos_and_member(gql, client, seed)
    before = await snapshot(pk), await Order.all().count()
    bad = [
        ({"storeCode": "NOPE"}, "NotFoundError"),
        ({"lines": []}, "InvalidInputError"),
        ({"totalPaidFen": 99_999}, "InvalidInputError"),
        ({"paidAt": (clock.now() + timedelta(days=1)).isoformat()}, "PaidAtOutOfRangeError"),
        ({"paidAt": (clock.now() - timedelta(days=31)).isoformat()}, "PaidAtOutOfRangeError"),
        ({"member": {"cardNumber": "8000000000000000"}}, "NotFoundError"),
        ({"member": {"scanCode": "1" * 36}}, "ScanCodeInvalidError"),
        ({"pointsToRedeem": 50, "totalPaidFen": 9_950}, "InsufficientPointsError"),
        ({"couponCodes": ["NO-SUCH-COUPON"]}, "NotFoundError"),
        ({"couponCodes": list("ABCDEF")}, "InvalidInputError"),
    ]
    for change, typename in bad:
        r = (await pos(ORDER, {"in": order_input(card, **change)}))["data"]["orderCreate"]
        assert r["__typename"] == typename, (change, r)
    assert (await snapshot(pk), await Order.all().count()) == before


async def test_partial_refunds_reverse_once_and_never_more_than_earned(gql, client, seed):
    pos, card, pk = await pos_and_member(gql, client, seed)
    o = order_input(card, fen=10_000)
    await pos(ORDER, {"in": o})

    def refund(ref: str, fen: int) -> dict:
        return {
            "orderExternalId": o["externalId"],
            "refundExternalId": f"{o['externalId']}-{ref}",
            "amountFen": fen,
        }

    first = [
        (await pos(REFUND, {"in": refund("R1", 3_000)}))["data"]["orderRefund"] for _ in (1, 2)
    ]
    assert [f["replayed"] for f in first] == [False, True]
    assert first[0]["refund"]["pointsReversed"] == 30
    same = await asyncio.gather(*(pos(REFUND, {"in": refund("R2", 3_000)}) for _ in range(4)))
    assert sorted(s["data"]["orderRefund"]["replayed"] for s in same) == [False, True, True, True]
    both = await asyncio.gather(
        pos(REFUND, {"in": refund("R3", 3_000)}), pos(REFUND, {"in": refund("R4", 3_000)})
    )
    kinds = sorted(b["data"]["orderRefund"]["__typename"] for b in both)
    assert kinds == ["InvalidInputError", "OrderRefundSuccess"]  # only 1,000 fen left after one
    assert (await pos(REFUND, {"in": refund("R5", 1_000)}))["data"]["orderRefund"]["order"] == {
        "status": "REFUNDED",
        "refundedFen": 10_000,
    }
    too_much = (await pos(REFUND, {"in": refund("R6", 1)}))["data"]["orderRefund"]
    assert too_much["__typename"] == "InvalidInputError"
    reversed_ = await LedgerEntry.filter(member_id=pk, kind="REVERSE").values_list(
        "points", flat=True
    )
    assert sum(reversed_) == -100 and len(reversed_) == 4
    assert await account(pk) == (0, 0, 0) and await ledger_sum(pk) == 0


async def test_refund_by_lines(gql, client, seed):
    pos, card, pk = await pos_and_member(gql, client, seed)
    o = order_input(card)
    o["lines"] = [
        {"sku": "A1", "quantity": 3, "unitPriceFen": 1_000},
        {"sku": "B2", "quantity": 1, "unitPriceFen": 7_000},
    ]
    await pos(ORDER, {"in": o})
    r = (
        await pos(
            REFUND,
            {
                "in": {
                    "orderExternalId": o["externalId"],
                    "refundExternalId": o["externalId"] + "-L1",
                    "lines": [{"sku": "A1", "quantity": 1}],
                }
            },
        )
    )["data"]["orderRefund"]
    assert r["refund"] == {"amountFen": 1_000, "pointsReversed": 10, "pointsReturned": 0}
    over = (
        await pos(
            REFUND,
            {
                "in": {
                    "orderExternalId": o["externalId"],
                    "refundExternalId": o["externalId"] + "-L2",
                    "lines": [{"sku": "A1", "quantity": 3}],
                }
            },
        )
    )["data"]["orderRefund"]
    assert over["__typename"] == "InvalidInputError"
    assert await account(pk) == (0, 90, 0)


@pytest.mark.parametrize("policy", ["debt", "negative"])
async def test_refund_of_spent_points_follows_the_policy(
    gql, client, seed, app, settings, policy, monkeypatch
):
    rt = app.state.rt
    monkeypatch.setattr(
        rt, "settings", rt.settings.model_copy(update={"refund_shortfall_policy": policy})
    )
    pos, card, pk = await pos_and_member(gql, client, seed)
    earning = order_input(card, fen=10_000)
    await pos(ORDER, {"in": earning})
    await release_after_return_window(settings)
    assert await account(pk) == (100, 0, 0)
    spend = order_input(card, fen=0, pointsToRedeem=100)
    spend["lines"][0]["unitPriceFen"] = 100
    spent = (await pos(ORDER, {"in": spend}))["data"]["orderCreate"]
    assert spent["order"]["pointsRedeemed"] == 100 and await account(pk) == (0, 0, 0)

    refund = {
        "orderExternalId": earning["externalId"],
        "refundExternalId": f"{earning['externalId']}-F1",
        "amountFen": 10_000,
    }
    done = (await pos(REFUND, {"in": refund}))["data"]["orderRefund"]
    assert done["refund"]["pointsReversed"] == 100
    expected = (0, 0, 100) if policy == "debt" else (-100, 0, 0)
    assert await account(pk) == expected
    # the next earnings settle the shortfall first
    await pos(ORDER, {"in": order_input(card, fen=5_000)})
    await release_after_return_window(settings)
    assert await account(pk) == ((0, 0, 50) if policy == "debt" else (-50, 0, 0))
    balance, pending, _ = await account(pk)
    assert await ledger_sum(pk) == balance + pending
    assert [m for m in await verify() if m.member_id == pk] == []


async def test_lots_oldest_first_and_expiry_once(gql, client, seed, settings, app, monkeypatch):
    allow_backdating(app, monkeypatch)
    pos, card, pk = await pos_and_member(gql, client, seed)
    year_ago = datetime(2025, 6, 1, 4, 0, tzinfo=UTC)
    this_year = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)
    for paid in (this_year, year_ago):  # posted newest first on purpose
        o = order_input(card, fen=10_000)
        o["paidAt"] = paid.isoformat()
        await pos(ORDER, {"in": o})
    assert await account(pk) == (200, 0, 0)  # both past the return window already
    spend = order_input(card, fen=0, pointsToRedeem=50)
    spend["lines"][0]["unitPriceFen"] = 50
    await pos(ORDER, {"in": spend})
    lots = {
        business_day(lot.expires_at).isoformat(): lot.remaining
        for lot in await PointsLot.filter(member_id=pk)
    }
    assert lots == {"2027-01-01": 50, "2028-01-01": 100}  # the 2025 lot went first

    clock.advance(datetime(2027, 1, 1, 1, 0, tzinfo=UTC) - clock.now())  # 09:00 in Shanghai
    assert await jobs.expire_due() >= 50
    assert await account(pk) == (100, 0, 0)
    again = await LedgerEntry.filter(member_id=pk, kind="EXPIRE").count()
    await jobs.expire_due()
    assert await LedgerEntry.filter(member_id=pk, kind="EXPIRE").count() == again == 1
    assert await ledger_sum(pk) == 100


async def test_member_reads_points_and_history_with_reasons(gql, client, seed, settings):
    pos, card, pk = await pos_and_member(gql, client, seed)
    await pos(ORDER, {"in": order_input(card, fen=12_345)})
    admin = await sign_in_staff(gql, "admin@test.cn")
    from strawberry.relay import to_base64

    gid = to_base64("Member", pk)
    p = (await admin(POINTS, {"id": gid}))["data"]["member"]["points"]
    assert (p["balance"], p["pending"], p["availableSoon"]) == (0, 123, [{"points": 123}])
    (entry,) = [e["node"] for e in p["history"]["edges"]]
    assert entry["kind"] == "EARN" and entry["points"] == 123 and "¥123.45" in entry["reason"]
    assert entry["breakdown"]["eligibleFen"] == 12_345 and entry["breakdown"]["base"] == 123

    assert await release_after_return_window(settings) == 123
    assert await release_after_return_window(settings) == 0  # twice: nothing more
    p = (await admin(POINTS, {"id": gid}))["data"]["member"]["points"]
    assert (p["balance"], p["pending"], p["availableSoon"]) == (123, 0, [])


async def test_staff_adjustments_need_a_reason_and_are_audited(gql, client, seed):
    from strawberry.relay import to_base64

    from domain.audit.tables import AuditEntry

    _pos, _card, pk = await pos_and_member(gql, client, seed)
    gid = to_base64("Member", pk)
    agent = await sign_in_staff(gql, "agent@test.cn")
    before = await snapshot(pk)
    no_reason = (await agent(ADJUST, {"id": gid, "p": 50, "why": " "}))["data"]["pointsAdjust"]
    assert no_reason["__typename"] == "InvalidInputError" and await snapshot(pk) == before
    too_many = (await agent(ADJUST, {"id": gid, "p": -1, "why": "错误扣减"}))["data"][
        "pointsAdjust"
    ]
    assert too_many["__typename"] == "InsufficientPointsError" and await snapshot(pk) == before
    ok = (await agent(ADJUST, {"id": gid, "p": 50, "why": "门店补录积分"}))["data"]["pointsAdjust"]
    assert ok == {"__typename": "Points", "balance": 50}
    entry = await AuditEntry.filter(action="points.adjust", target_id=str(pk)).first()
    assert entry.detail["points"] == 50 and entry.detail["reason"] == "门店补录积分"
    store = await sign_in_staff(gql, "sh01@test.cn")
    denied = await store(ADJUST, {"id": gid, "p": 50, "why": "门店补录积分"})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await account(pk) == (50, 0, 0)


async def test_walk_in_orders_are_stored_and_earn_nothing(gql, client, seed):
    pos = gql.as_(await partner_token(client, seed["partner"]))
    o = order_input("")
    del o["member"]
    entries = await LedgerEntry.all().count()
    r = (await pos(ORDER, {"in": o}))["data"]["orderCreate"]
    assert r["__typename"] == "OrderCreateSuccess" and r["order"]["pointsEarned"] == 0
    stored = await Order.get(external_id=o["externalId"])
    assert stored.member_id is None and stored.total_paid_fen == 10_000
    assert await LedgerEntry.all().count() == entries


async def test_full_refund_gives_back_the_points_paid_with(gql, client, seed, settings):
    pos, card, pk = await pos_and_member(gql, client, seed)
    await pos(ORDER, {"in": order_input(card, fen=10_000)})
    await release_after_return_window(settings)
    mixed = order_input(card, fen=4_000, pointsToRedeem=60)
    mixed["lines"][0]["unitPriceFen"] = 4_060
    r = (await pos(ORDER, {"in": mixed}))["data"]["orderCreate"]
    assert r["order"]["pointsRedeemed"] == 60 and r["order"]["pointsEarned"] == 40
    assert await account(pk) == (40, 40, 0)
    partial = {
        "orderExternalId": mixed["externalId"],
        "refundExternalId": mixed["externalId"] + "-P",
    }
    half = (await pos(REFUND, {"in": {**partial, "amountFen": 2_000}}))["data"]["orderRefund"]
    assert half["refund"] == {"amountFen": 2_000, "pointsReversed": 20, "pointsReturned": 0}
    rest = {**partial, "refundExternalId": mixed["externalId"] + "-F", "amountFen": 2_000}
    full = (await pos(REFUND, {"in": rest}))["data"]["orderRefund"]
    assert full["refund"] == {"amountFen": 2_000, "pointsReversed": 20, "pointsReturned": 60}
    assert await account(pk) == (100, 0, 0)
    assert await ledger_sum(pk) == 100


async def test_expiry_reminders_once_per_member_and_date(gql, client, seed, app, monkeypatch):
    from domain.events.tables import OutboxEvent

    allow_backdating(app, monkeypatch)
    pos, card, pk = await pos_and_member(gql, client, seed)
    o = order_input(card, fen=5_000)
    o["paidAt"] = datetime(2025, 3, 1, 4, 0, tzinfo=UTC).isoformat()  # expires 2027-01-01
    await pos(ORDER, {"in": o})
    clock.advance(datetime(2026, 12, 10, tzinfo=UTC) - clock.now())
    first = await jobs.remind_expiring(30)
    assert first >= 1 and await jobs.remind_expiring(30) == 0
    events = await OutboxEvent.filter(topic="points.expiring").values_list("payload", flat=True)
    mine = [e for e in events if e["member_id"] == pk]
    assert mine == [
        {"member_id": pk, "expires_on": "2027-01-01", "last_day": "2026-12-31", "points": 50}
    ]


async def test_member_sees_own_points_and_orders(gql, client, seed):
    from tests.conftest import sign_in_member

    pos = gql.as_(await partner_token(client, seed["partner"]))
    member = gql.as_((await sign_in_member(gql))["accessToken"])
    o = order_input("", fen=2_000)
    o["member"] = {"phone": "+8613800138000"}
    await pos(ORDER, {"in": o})
    me = (
        await member(
            """{ me { points { balance pending expiring(days: 1000) { points } }
            orders(first: 1) { edges { node { externalId pointsEarned } } } } }"""
        )
    )["data"]["me"]
    p = me["points"]
    # pending points are not "expiring": every spendable point expires within 1000 days
    assert p["pending"] >= 20 and sum(x["points"] for x in p["expiring"]) == p["balance"]
    assert me["orders"]["edges"][0]["node"] == {"externalId": o["externalId"], "pointsEarned": 20}
