"""Tiers: upgrade at once on the order (once, even when events are delivered twice),
never down mid-period, down only at the review after the grace period with a reminder
first; the nightly batch in chunks, resumable and idempotent; overrides and progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from strawberry.relay import to_base64

from domain import clock
from domain.audit.tables import AuditEntry
from domain.events.tables import OutboxEvent
from domain.members.tables import Member
from domain.notifications.tables import Message
from domain.tiers import batch
from domain.tiers.tables import TierBatchRun, TierHistory, TierState
from tests.conftest import sign_in_staff, wait_for
from tests.factories import ORDER, PROGRESS, REFUND, order_input, pos_and_member, tier_of


async def messages(pk: int, template: str) -> int:
    return await Message.filter(member_id=pk, template=template).count()


async def test_crossing_silver_upgrades_once_with_one_message(gql, client, seed, ladder, app):
    pos, card, pk = await pos_and_member(gql, client, seed)
    await pos(ORDER, {"in": order_input(card, fen=150_000)})
    await wait_for(lambda: _placed(pk))
    assert await tier_of(pk) == "REGULAR" and not await TierHistory.filter(member_id=pk).exists()
    await pos(ORDER, {"in": order_input(card, fen=60_000)})  # 2,100 yuan in 12 months
    await wait_for(lambda: _tier_is(pk, "SILVER"))
    await wait_for(lambda: messages(pk, "tier_up"))
    assert await TierHistory.filter(member_id=pk).count() == 1
    assert await messages(pk, "tier_up") == 1

    # every event delivered a second time: nothing more happens
    await OutboxEvent.filter(topic__in=["order.created", "tier.changed"]).update(
        dispatched_at=None, claimed_until=None
    )
    app.state.relay.kick()
    await app.state.relay.drain()
    await wait_for(lambda: _all_dispatched())
    await _settle(app)
    assert await TierHistory.filter(member_id=pk).count() == 1
    assert await messages(pk, "tier_up") == 1

    admin = await sign_in_staff(gql, "admin@test.cn")
    seen = (await admin(PROGRESS, {"id": to_base64("Member", pk)}))["data"]["member"]
    p = seen["tierProgress"]
    assert seen["tier"] == {"code": "SILVER"} and p["current"] == {"code": "SILVER"}
    assert (p["next"], p["qualifyingSpendFen"], p["spendToNextFen"]) == (
        {"code": "GOLD"},
        210_000,
        590_000,
    )
    assert p["spendToKeepFen"] == 0 and p["reviewAt"]
    assert seen["tierHistory"] == [{"fromCode": "REGULAR", "toCode": "SILVER", "reason": "UPGRADE"}]


async def _placed(pk: int) -> bool:
    return await TierState.exists(member_id=pk)


async def _tier_is(pk: int, code: str) -> bool:
    return await tier_of(pk) == code


async def _all_dispatched() -> bool:
    return not await OutboxEvent.filter(dispatched_at=None).exists()


async def _settle(app) -> None:
    """Give redelivered actors time to finish (the worker is in-process or a subprocess)."""
    import asyncio

    await asyncio.sleep(1.0)


async def test_refund_never_downgrades_mid_period_review_does_after_grace(
    gql, client, seed, ladder, settings, app
):
    pos, card, pk = await pos_and_member(gql, client, seed)
    o = order_input(card, fen=250_000)
    await pos(ORDER, {"in": o})
    await wait_for(lambda: _tier_is(pk, "SILVER"))
    refund = {
        "orderExternalId": o["externalId"],
        "refundExternalId": o["externalId"] + "-R",
        "amountFen": 100_000,
    }
    assert (await pos(REFUND, {"in": refund}))["data"]["orderRefund"]["__typename"] == (
        "OrderRefundSuccess"
    )
    await wait_for(lambda: _all_dispatched())
    assert await tier_of(pk) == "SILVER"  # 1,500 yuan now, but no downgrade mid-period

    state = await TierState.get(member_id=pk)
    review = state.review_at

    async def nightly_at(at: datetime) -> None:
        """The batch as the worker runs it at ``at``, then its events relayed."""
        clock.reset()
        clock.advance(at - clock.now())
        await batch.run_nightly(settings)
        app.state.relay.kick()
        await app.state.relay.drain()

    await nightly_at(review - timedelta(days=10))  # reminder window (30 days)
    assert await tier_of(pk) == "SILVER"
    assert await OutboxEvent.filter(topic="tier.review_reminder").count() >= 1
    await wait_for(lambda: messages(pk, "tier_review"), within=20)
    await nightly_at(review - timedelta(days=9))  # the next night: reminded once only
    assert await messages(pk, "tier_review") == 1
    await nightly_at(review + timedelta(days=1))  # in the grace period: still silver
    assert await tier_of(pk) == "SILVER"
    await nightly_at(review + timedelta(days=settings.tier_grace_days + 1))
    assert await tier_of(pk) == "REGULAR"
    history = await TierHistory.filter(member_id=pk).order_by("id").values_list("reason", flat=True)
    assert history == ["UPGRADE", "DOWNGRADE"]
    await wait_for(lambda: messages(pk, "tier_down"), within=20)


async def test_nightly_batch_resumes_after_a_crash_and_changes_nothing_twice(
    gql, client, seed, ladder, settings, monkeypatch
):
    from domain.orders.tables import Order
    from domain.org.tables import Store

    store = await Store.get(code="SH01")
    pks = [(await pos_and_member(gql, client, seed))[2] for _ in range(30)]
    # a night of its own, far from the other tests' runs
    clock.advance(datetime(2027, 3, 3, 18, tzinfo=UTC) - clock.now())
    for i, pk in enumerate(pks):  # orders loaded without events, as an import would
        await Member.filter(id=pk).update(tier_id=None)
        await TierState.filter(member_id=pk).delete()
        await Order.create(
            external_id=f"IMPORT-{pk}",
            channel="POS",
            store=store,
            member_id=pk,
            paid_at=clock.now() - timedelta(days=30),
            total_paid_fen=(i % 3) * 450_000,
            created_at=clock.now(),
        )

    async def change_events() -> int:
        payloads = await OutboxEvent.filter(topic="tier.changed").values_list("payload", flat=True)
        return sum(1 for p in payloads if p["member_id"] in pks)

    calls = {"n": 0}
    real = batch._run_chunk

    async def crashing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return await real(*args, **kwargs)

    monkeypatch.setattr(batch, "_run_chunk", crashing)
    with pytest.raises(RuntimeError):
        await batch.run_nightly(settings, chunk=10)
    run = await TierBatchRun.get(run_on=clock.business_date())
    assert run.finished_at is None and run.last_member_id > 0
    monkeypatch.setattr(batch, "_run_chunk", real)
    done = await batch.run_nightly(settings, chunk=10)
    assert done.finished_at is not None
    expected = {0: "REGULAR", 1: "SILVER", 2: "GOLD"}
    assert [await tier_of(pk) for pk in pks] == [expected[i % 3] for i in range(30)]
    reviewed = await TierState.filter(member_id__in=pks).values_list("member_id", flat=True)
    assert set(reviewed) == {pk for i, pk in enumerate(pks) if i % 3}  # none on the base rung
    upgrades = await TierHistory.filter(member_id__in=pks).count()
    assert upgrades == 20  # silver and gold only: placement on the first rung is no news
    assert await change_events() == 20  # one event per change, none for the crash
    again = await batch.run_nightly(settings, chunk=10)  # same night: already finished
    assert again.id == done.id
    clock.advance(timedelta(days=1))
    await batch.run_nightly(settings, chunk=10)  # the next night: nothing to change
    assert await TierHistory.filter(member_id__in=pks).count() == upgrades


async def test_nightly_batch_by_points_counts_each_members_own_earnings_in_the_window(
    gql, client, seed, ladder, settings
):
    """TIER_MEASURE=points: EARN points of the last 12 months, chunk by chunk (chunks of
    2, so members at both ends of a chunk's id range are counted)."""
    from domain.points.tables import LedgerEntry
    from domain.tiers.tables import Tier

    pks = [(await pos_and_member(gql, client, seed))[2] for _ in range(6)]
    clock.advance(datetime(2027, 5, 5, 18, tzinfo=UTC) - clock.now())  # a night of its own
    for code, points in (("SILVER", 3_000), ("GOLD", 9_000), ("DIAMOND", 10**9)):
        await Tier.filter(code=code).update(threshold_points=points)
    # rungs other tests added (threshold 0 by points by default) stay out of reach
    await Tier.exclude(code__in=list(ladder)).update(threshold_points=10**12)
    earned = [0, 3_000, 9_000, 2_999, 9_500, 0]  # in the window
    for pk, pts in zip(pks, earned, strict=True):
        await Member.filter(id=pk).update(tier_id=None)
        await TierState.filter(member_id=pk).delete()
        rows = [("EARN", pts, 30), ("EARN", 50_000, 400), ("REDEEM", -1_000, 10)]
        for kind, amount, days_ago in rows:  # a year and more ago, and spending: not counted
            if amount:
                await LedgerEntry.create(
                    member_id=pk,
                    kind=kind,
                    points=amount,
                    reason="import",
                    created_at=clock.now() - timedelta(days=days_ago),
                )
    by_points = settings.model_copy(update={"tier_measure": "points"})
    done = await batch.run_nightly(by_points, chunk=2)
    assert done.finished_at is not None
    tiers = [await tier_of(pk) for pk in pks]
    assert tiers == ["REGULAR", "SILVER", "GOLD", "REGULAR", "GOLD", "REGULAR"]


OVERRIDE = """mutation($id: ID!, $until: DateTime!) { tierOverride(memberId: $id,
  tierCode: "GOLD", until: $until, reason: "重要客户关怀") {
  __typename ... on TierHistoryEntry { toCode reason } ... on UserError { code } } }"""
OVERRIDE_FROM = OVERRIDE.replace("{ toCode reason }", "{ fromCode toCode reason }")


async def test_admin_override_is_audited_and_others_cannot(gql, client, seed, ladder):
    _pos, _card, pk = await pos_and_member(gql, client, seed)
    gid = to_base64("Member", pk)
    until = (clock.now() + timedelta(days=90)).isoformat()
    agent = await sign_in_staff(gql, "agent@test.cn")
    denied = await agent(OVERRIDE, {"id": gid, "until": until})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    admin = await sign_in_staff(gql, "admin@test.cn")
    done = (await admin(OVERRIDE, {"id": gid, "until": until}))["data"]["tierOverride"]
    assert done == {"__typename": "TierHistoryEntry", "toCode": "GOLD", "reason": "OVERRIDE"}
    assert await tier_of(pk) == "GOLD"
    state = await TierState.get(member_id=pk)
    assert state.override_until is not None and state.review_at == state.override_until
    assert await AuditEntry.filter(action="tier.override", target_id=str(pk)).exists()
    past = (clock.now() - timedelta(days=1)).isoformat()
    bad = (await admin(OVERRIDE, {"id": gid, "until": past}))["data"]["tierOverride"]
    assert bad["__typename"] == "InvalidInputError"


async def test_override_answers_the_tier_the_member_was_on(gql, client, seed, ladder):
    _pos, _card, pk = await pos_and_member(gql, client, seed)
    await Member.filter(id=pk).update(tier_id=ladder["SILVER"].id)
    gid = to_base64("Member", pk)
    until = (clock.now() + timedelta(days=90)).isoformat()
    admin = await sign_in_staff(gql, "admin@test.cn")
    done = (await admin(OVERRIDE_FROM, {"id": gid, "until": until}))["data"]["tierOverride"]
    assert done == {
        "__typename": "TierHistoryEntry",
        "fromCode": "SILVER",
        "toCode": "GOLD",
        "reason": "OVERRIDE",
    }
    again = (await admin(OVERRIDE_FROM, {"id": gid, "until": until}))["data"]["tierOverride"]
    assert (again["fromCode"], again["toCode"]) == ("GOLD", "GOLD")
    seen = (await admin(PROGRESS, {"id": gid}))["data"]["member"]["tierHistory"]
    assert [(h["fromCode"], h["toCode"]) for h in seen] == [("GOLD", "GOLD"), ("SILVER", "GOLD")]


async def test_spend_to_next_is_never_zero_below_the_top(gql, client, seed, ladder):
    """A member not yet placed whose spend already reaches silver: the goal is gold."""
    from domain.orders.tables import Order
    from domain.org.tables import Store

    _pos, _card, pk = await pos_and_member(gql, client, seed)
    await Member.filter(id=pk).update(tier_id=None)
    await Order.create(
        external_id=f"IMPORT-NEXT-{pk}",
        channel="POS",
        store=await Store.get(code="SH01"),
        member_id=pk,
        paid_at=clock.now() - timedelta(days=5),
        total_paid_fen=300_000,
        created_at=clock.now(),
    )
    admin = await sign_in_staff(gql, "admin@test.cn")
    seen = (await admin(PROGRESS, {"id": to_base64("Member", pk)}))["data"]["member"]
    p = seen["tierProgress"]
    assert (p["current"], p["next"]) == ({"code": "REGULAR"}, {"code": "GOLD"})
    assert (p["qualifyingSpendFen"], p["spendToNextFen"]) == (300_000, 500_000)
