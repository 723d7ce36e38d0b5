"""The broker goes away while 500 orders are posted: every order succeeds, its events
wait in the outbox, and once the broker is back each is delivered and acted on once."""

from __future__ import annotations

import asyncio

import pytest

from domain.events.tables import OutboxEvent
from domain.members.tables import Member
from domain.notifications.tables import Message
from domain.tiers.tables import TierHistory
from tests.api.test_orders_points import ORDER, order_input, pos_and_member
from tests.conftest import wait_for

pytestmark = pytest.mark.backend("postgres")  # a real Redis broker and worker process
MEMBERS, ORDERS_EACH = 50, 10  # 10 x 250 yuan: each member crosses silver (2,000) once


async def test_outage_loses_nothing_and_doubles_nothing(gql, client, seed, ladder, app, settings):
    from workers.broker import bind_actors, make_broker

    members = [await pos_and_member(gql, client, seed) for _ in range(MEMBERS)]
    pos = members[0][0]
    await wait_for(lambda: _outbox_empty(), within=30)
    down = make_broker(settings.model_copy(update={"broker_url": "redis://127.0.0.1:9/0"}))
    bind_actors(down, settings)  # every send now fails: nothing listens on port 9
    try:
        inputs = [
            order_input(card, fen=25_000) for _ in range(ORDERS_EACH) for _, card, _ in members
        ]
        results = []
        for start in range(0, len(inputs), 50):
            batch = inputs[start : start + 50]
            results += await asyncio.gather(*(pos(ORDER, {"in": o}) for o in batch))
        kinds = {r["data"]["orderCreate"]["__typename"] for r in results}
        assert kinds == {"OrderCreateSuccess"} and len(results) == 500
        await app.state.relay.drain()
        waiting = await OutboxEvent.filter(topic="order.created", dispatched_at=None).count()
        assert waiting == 500  # all kept, none lost
    finally:
        bind_actors(app.state.broker, settings)  # the broker is back

    await wait_for(lambda: _relayed(app.state.relay), within=120)
    pks = [pk for _, _, pk in members]
    await wait_for(lambda: _all_silver(pks), within=120)
    await wait_for(lambda: _messages(pks, MEMBERS), within=60)
    await asyncio.sleep(1)  # anything delivered twice would show by now
    assert await TierHistory.filter(member_id__in=pks).count() == MEMBERS
    assert await _told(pks).count() == MEMBERS


def _told(pks: list[int]):
    """Each member's tier SMS: SENT, or DEFERRED when the test runs in quiet hours (a
    tier change waits for the morning); once either way."""
    return Message.filter(member_id__in=pks, template="tier_up", status__in=("SENT", "DEFERRED"))


async def _relayed(relay) -> bool:
    relay.kick()  # what the scheduler's relay sweep does every few seconds in production
    await relay.drain()
    return await _outbox_empty()


async def _outbox_empty() -> bool:
    return not await OutboxEvent.filter(dispatched_at=None).exists()


async def _all_silver(pks: list[int]) -> bool:
    rows = await Member.filter(id__in=pks).select_related("tier")
    return all(m.tier is not None and m.tier.code == "SILVER" for m in rows)


async def _messages(pks: list[int], n: int) -> bool:
    return await _told(pks).count() >= n
