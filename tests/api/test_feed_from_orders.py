"""The whole way from orders to the feed, nothing planted in the read model: orders sent
by a till through orderCreate, the nightly rebuild, then the member's own ``me.feed``
shows the complement of what they just bought and their milk due again, each with its
reason; what they bought two days ago is not offered back."""

from __future__ import annotations

from domain.feeds import rebuild
from tests.factories import (
    allow_backdating,
    as_member,
    pos_and_member,
)
from tests.feed_factories import (
    FEED,
    feed_order,
    feed_products,
)
from tests.isolation import settle


async def test_orders_become_a_complement_and_a_due_replenishment(
    app, gql, client, seed, monkeypatch
):
    allow_backdating(app, monkeypatch)
    await feed_products(gql)
    for _ in range(4):  # beer goes with chips in other members' baskets
        pos, card, _pk = await pos_and_member(gql, client, seed)
        for days in (40, 20):
            await feed_order(pos, card, ["FEED-BEER", "FEED-CHIPS"], days)
    pos, card, pk = await pos_and_member(gql, client, seed)
    for days in (27, 20, 13, 6):  # milk every 7 days, last 6 days ago: due at 0.8 x 7
        await feed_order(pos, card, ["FEED-MILK"], days)
    await feed_order(pos, card, ["FEED-BEER"], 2)
    await settle(app)
    done = await rebuild.rebuild_now(app.state.rt.settings, progress=lambda _m: None)
    assert done["status"] == "DONE"

    me = await as_member(gql, app, pk)
    r = await me(FEED, {"first": 20})
    assert "errors" not in r, r
    shown = {
        e["node"]["product"]["name"]: e["node"]
        for e in r["data"]["me"]["feed"]["edges"]
        if e["node"]["__typename"] == "ProductSuggestion"
    }
    chips, milk = shown["薯片"], shown["鲜牛奶"]
    assert (chips["kind"], chips["reason"]) == ("BOUGHT_TOGETHER", "常与 啤酒 一起购买")
    assert (milk["kind"], milk["reason"]) == ("REPLENISH", "上次购买是 6 天前")
    assert "啤酒" not in shown  # bought two days ago, no rhythm: not offered back
