"""An order's paidAt through the API: the window a partner may post in, and lots already
past expiry when written (EARN + EXPIRE, never spendable, not in the balance)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from strawberry.relay import to_base64

from domain import clock
from domain.points.tables import LedgerEntry, PointsLot
from domain.points.verify import verify
from tests.conftest import partner_token, sign_in_staff
from tests.factories import (
    ORDER,
    POINTS,
    REFUND,
    account,
    allow_backdating,
    at,
    ledger_sum,
    order_input,
    pos_and_member,
    snapshot,
)

OUT_OF_RANGE = """mutation($in: OrderCreateInput!) { orderCreate(input: $in) { __typename
  ... on PaidAtOutOfRangeError { code field earliest latest } } }"""


async def test_paid_at_outside_the_window_is_refused_and_writes_nothing(gql, client, seed):
    pos, card, pk = await pos_and_member(gql, client, seed)
    before = await snapshot(pk)
    for paid in (timedelta(days=-30, minutes=-1), timedelta(seconds=301)):
        o = order_input(card, paidAt=(clock.now() + paid).isoformat())
        r = (await pos(OUT_OF_RANGE, {"in": o}))["data"]["orderCreate"]
        assert (r["__typename"], r["code"], r["field"]) == (
            "PaidAtOutOfRangeError",
            "PAID_AT_OUT_OF_RANGE",
            "paidAt",
        )
        earliest, latest = (datetime.fromisoformat(r[k]) for k in ("earliest", "latest"))
        assert timedelta(days=30, seconds=300) == latest - earliest
    assert await snapshot(pk) == before
    for paid in (timedelta(days=-29, hours=-23), timedelta(seconds=290)):  # inside: accepted
        o = order_input(card, paidAt=(clock.now() + paid).isoformat())
        r = (await pos(ORDER, {"in": o}))["data"]["orderCreate"]
        assert r["__typename"] == "OrderCreateSuccess", r


async def test_a_retry_is_answered_however_late_the_window(gql, client, seed):
    pos, card, _ = await pos_and_member(gql, client, seed)
    o = order_input(card)
    assert (await pos(ORDER, {"in": o}))["data"]["orderCreate"]["replayed"] is False
    clock.advance(timedelta(days=45))
    pos = gql.as_(await partner_token(client, seed["partner"]))
    again = (await pos(ORDER, {"in": o}))["data"]["orderCreate"]
    assert again["__typename"] == "OrderCreateSuccess" and again["replayed"] is True


async def history(gql, pk: int) -> list[tuple[str, int]]:
    staff = await sign_in_staff(gql, "admin@test.cn")
    r = await staff(POINTS, {"id": to_base64("Member", pk)})
    edges = r["data"]["member"]["points"]["history"]["edges"]
    return sorted((e["node"]["kind"], e["node"]["points"]) for e in edges)


async def test_a_lot_already_expired_is_earned_and_expired_at_once(
    gql, client, seed, app, monkeypatch
):
    """The issue's case: a 2024 order posted in 2026 (the backdate limit raised) earns
    a lot that expired on 2026-01-01: visible, never in the balance, never spent."""
    allow_backdating(app, monkeypatch)
    pos, card, pk = await pos_and_member(gql, client, seed)
    live = order_input(card, fen=20_000)
    await pos(ORDER, {"in": live})  # a lot that is alive, pending for the return window
    old = order_input(card, fen=15_000, paidAt=datetime(2024, 6, 1, 4, tzinfo=UTC).isoformat())
    r = (await pos(ORDER, {"in": old}))["data"]["orderCreate"]
    assert r["order"]["pointsEarned"] == 150
    assert await account(pk) == (0, 200, 0)  # only the live order's points, pending
    assert await history(gql, pk) == [("EARN", 150), ("EARN", 200), ("EXPIRE", -150)]
    lot = await PointsLot.get(member_id=pk, points=150)
    assert (lot.remaining, lot.released_at is not None) == (0, True)

    clock.advance(timedelta(days=8))  # past the return window: the live lot is spendable
    from domain.points import jobs

    await jobs.release_due()
    pos = gql.as_(await partner_token(client, seed["partner"]))
    spend = order_input(card, fen=0, pointsToRedeem=201)
    spend["lines"][0]["unitPriceFen"] = 201
    r = (await pos(ORDER, {"in": spend}))["data"]["orderCreate"]
    assert (r["__typename"], r["available"]) == ("InsufficientPointsError", 200)

    # refunding the old order takes back nothing: its points were never spendable
    refund = {"orderExternalId": old["externalId"], "refundExternalId": old["externalId"] + "-R"}
    r = (await pos(REFUND, {"in": refund | {"amountFen": 15_000}}))["data"]["orderRefund"]
    assert r["refund"]["pointsReversed"] == 0
    assert await account(pk) == (200, 0, 0) and await ledger_sum(pk) == 200
    assert [m for m in await verify() if m.member_id == pk] == []


async def test_late_december_accepted_in_january_expires_on_arrival(
    gql, client, seed, app, monkeypatch
):
    """Within the 30-day limit, with lots expiring at the end of the year they were earned
    in (POINTS_EXPIRY_EXTRA_YEARS=0): paid 28 December, posted 5 January."""
    rt = app.state.rt
    monkeypatch.setattr(
        rt, "settings", rt.settings.model_copy(update={"points_expiry_extra_years": 0})
    )
    _, card, pk = await pos_and_member(gql, client, seed)
    at(datetime(2027, 1, 5, 2, tzinfo=UTC))
    pos = gql.as_(await partner_token(client, seed["partner"]))
    o = order_input(card, paidAt=datetime(2026, 12, 28, 4, tzinfo=UTC).isoformat())
    r = (await pos(ORDER, {"in": o}))["data"]["orderCreate"]
    assert r["order"]["pointsEarned"] == 100
    assert await account(pk) == (0, 0, 0)
    entries = await LedgerEntry.filter(member_id=pk).order_by("id")
    assert [(e.kind, e.points) for e in entries] == [("EARN", 100), ("EXPIRE", -100)]
    assert "2026-12-31" in entries[1].reason  # the last day the points could have been used
