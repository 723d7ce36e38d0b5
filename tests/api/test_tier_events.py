"""One ``tier.changed`` event, whichever path changes the tier: the order path (at once,
by the worker) and the nightly batch write the same payload, with the history id that
keys the tier-upgrade coupon; the batch's messages wait for the end of quiet hours;
a member back on the base rung has no review date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from strawberry.relay import to_base64

from domain import clock
from domain.events.tables import OutboxEvent
from domain.members.tables import Member
from domain.notifications.marketing import release_deferred
from domain.notifications.tables import Message
from domain.tiers import batch
from domain.tiers.tables import TierHistory, TierState
from tests.conftest import request_code, sign_in_staff, wait_for
from tests.factories import (
    ORDER,
    PROGRESS,
    at,
    coupons_of,
    order_input,
    pos_and_member,
    tier_of,
    trigger_template,
)


async def imported_order(pk: int, fen: int, days_ago: int = 30) -> None:
    """An order loaded without events (an import): only the batch sees it."""
    from domain.orders.tables import Order
    from domain.org.tables import Store

    await Order.create(
        external_id=f"IMPORT-{pk}-{clock.now().timestamp()}-{fen}",
        channel="POS",
        store=await Store.get(code="SH01"),
        member_id=pk,
        paid_at=clock.now() - timedelta(days=days_ago),
        total_paid_fen=fen,
        created_at=clock.now(),
    )


async def changed_events(pk: int) -> list[dict]:
    rows = await OutboxEvent.filter(topic="tier.changed").order_by("id")
    return [e.payload for e in rows if e.payload["member_id"] == pk]


async def relay(app) -> None:
    app.state.relay.kick()
    await app.state.relay.drain()


async def test_order_path_and_nightly_batch_write_the_same_event(
    gql, client, seed, ladder, settings, app
):
    at(datetime(2027, 7, 7, 18, 30, tzinfo=UTC))  # 02:30 in Shanghai
    pos, card, by_order = await pos_and_member(gql, client, seed)
    await pos(ORDER, {"in": order_input(card, fen=10_000)})
    await wait_for(lambda: _tier_is(by_order, "REGULAR"))
    await pos(ORDER, {"in": order_input(card, fen=210_000)})
    await wait_for(lambda: _tier_is(by_order, "SILVER"))

    _pos, _card, by_batch = await pos_and_member(gql, client, seed)
    await Member.filter(id=by_batch).update(tier_id=ladder["REGULAR"].id)
    await imported_order(by_batch, 250_000)
    await batch.run_nightly(settings)
    assert await tier_of(by_batch) == "SILVER"

    (live,) = await changed_events(by_order)
    (nightly,) = await changed_events(by_batch)
    assert sorted(live) == sorted(nightly)  # the same keys...
    assert {k: type(v) for k, v in live.items()} == {k: type(v) for k, v in nightly.items()}
    for event, pk in ((live, by_order), (nightly, by_batch)):  # ...and the same meaning
        history = await TierHistory.get(member_id=pk)
        assert event["history_id"] == history.id and history.reason == "UPGRADE"
        assert (event["from"], event["to"], event["reason"]) == ("REGULAR", "SILVER", "UPGRADE")
        review = (await TierState.get(member_id=pk)).review_at
        assert datetime.fromisoformat(event["review_at"]) == review


async def _tier_is(pk: int, code: str) -> bool:
    return await tier_of(pk) == code


async def test_each_batch_upgrade_earns_its_own_tier_upgrade_coupon(
    gql, client, seed, ladder, settings, app
):
    code = await trigger_template(gql, "TIER_UPGRADE")
    _pos, _card, pk = await pos_and_member(gql, client, seed)
    await Member.filter(id=pk).update(tier_id=ladder["REGULAR"].id)
    at(datetime(2027, 8, 8, 18, 30, tzinfo=UTC))
    await imported_order(pk, 250_000)
    await batch.run_nightly(settings)
    at(datetime(2027, 8, 9, 18, 30, tzinfo=UTC))  # the next night: gold
    await imported_order(pk, 600_000, days_ago=10)
    await batch.run_nightly(settings)
    assert await tier_of(pk) == "GOLD"
    await relay(app)

    async def two() -> list | None:
        got = await coupons_of(pk, code)
        return got if len(got) == 2 else None

    got = await wait_for(two, within=30)
    history = await TierHistory.filter(member_id=pk).order_by("id").values_list("id", flat=True)
    assert [c.source_ref for c in got] == [f"tier-upgrade:{h}" for h in history]


@pytest.mark.backend("sqlite")  # the in-process worker shares the test's moved clock
async def test_batch_tier_sms_waits_for_the_end_of_quiet_hours(
    gql, client, seed, ladder, settings, app
):
    _pos, _card, pk = await pos_and_member(gql, client, seed)
    await Member.filter(id=pk).update(tier_id=ladder["REGULAR"].id)
    at(datetime(2027, 9, 9, 18, 30, tzinfo=UTC))  # 02:30 in Shanghai
    await imported_order(pk, 250_000)
    await batch.run_nightly(settings)
    await relay(app)
    message = await wait_for(lambda: Message.get_or_none(member_id=pk, template="tier_up"))
    assert (message.status, message.reason) == ("DEFERRED", "quiet hours")
    assert message.send_after == datetime(2027, 9, 10, 1, 0, tzinfo=UTC)  # 09:00 Shanghai
    await release_deferred()  # still night: it stays (others' older ones may go)
    assert await _status_is(message.id, "DEFERRED")
    at(datetime(2027, 9, 10, 1, 0, 30, tzinfo=UTC))
    assert await release_deferred() >= 1
    await relay(app)
    await wait_for(lambda: _status_is(message.id, "SENT"))


async def _status_is(message_id: int, status: str) -> bool:
    return (await Message.get(id=message_id)).status == status


async def test_a_sign_in_code_goes_out_at_night(gql, client, seed, app):
    from tests.factories import new_phone

    at(datetime(2027, 9, 11, 18, 30, tzinfo=UTC))  # 02:30 in Shanghai
    code = await request_code(gql, new_phone())  # read from the sink: it was sent
    assert len(code) == 6
    sent = await Message.filter(template="otp").order_by("-id").first()
    assert sent is not None and sent.status == "SENT" and sent.send_after is None


async def test_a_member_downgraded_to_the_base_rung_has_no_review_date(
    gql, client, seed, ladder, settings, app
):
    _pos, _card, pk = await pos_and_member(gql, client, seed)
    at(datetime(2027, 10, 10, 18, 30, tzinfo=UTC))
    await Member.filter(id=pk).update(tier_id=ladder["SILVER"].id)
    await TierState.filter(member_id=pk).delete()
    passed = clock.now() - timedelta(days=settings.tier_grace_days + 1)
    await TierState.create(member_id=pk, since=passed - timedelta(days=365), review_at=passed)
    await batch.run_nightly(settings)  # no spend in 12 months: down after the grace
    assert await tier_of(pk) == "REGULAR"
    (event,) = await changed_events(pk)
    assert (event["to"], event["reason"], event["review_at"]) == ("REGULAR", "DOWNGRADE", None)
    admin = await sign_in_staff(gql, "admin@test.cn")
    seen = (await admin(PROGRESS, {"id": to_base64("Member", pk)}))["data"]["member"]
    assert seen["tierProgress"]["current"] == {"code": "REGULAR"}
    assert seen["tierProgress"]["reviewAt"] is None
    assert seen["tierProgress"]["spendToNextFen"] == 200_000
