"""Isolation, first half: this module leaves a member, an order, points and a test tier
behind on purpose; ``test_isolation_2_sees_only_the_seed`` (next in the session) must not
see any of it (tests/isolation.py restores the seed after each module)."""

from __future__ import annotations

from domain.members.tables import Member
from domain.points.tables import LedgerEntry
from domain.tiers.tables import Tier
from tests import isolation
from tests.factories import ORDER, order_input, pos_and_member

LEFT_BEHIND_TIER = "LEAKX"


async def test_rows_written_here_differ_from_the_seed(gql, client, seed, settings):
    pos, card, pk = await pos_and_member(gql, client, seed)
    paid = (await pos(ORDER, {"in": order_input(card)}))["data"]["orderCreate"]
    assert paid["__typename"] == "OrderCreateSuccess", paid
    await Tier.create(code=LEFT_BEHIND_TIER, name="泄漏测试", rank=7, threshold_fen=9_000_000)

    assert await Member.filter(id=pk).exists()
    assert await LedgerEntry.filter(member_id=pk).exists()
    changed = await isolation.differences(settings)
    assert {"members", "tiers"} <= changed.keys(), changed  # the check sees these rows
