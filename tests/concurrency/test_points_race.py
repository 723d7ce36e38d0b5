"""Two phones, one balance: 200 concurrent spends of the same 100 points across two
real server processes on PostgreSQL. Exactly one wins; nothing is created or lost."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest
from strawberry.relay import to_base64

from domain.points.tables import LedgerEntry, PointsAccount
from tests.conftest import settings_env, sign_in_staff
from tests.factories import ORDER, order_input, pos_and_member
from tests.processes import free_port, running

pytestmark = pytest.mark.backend("postgres")
BIN = Path(sys.executable).parent
SPENDS = 200


async def test_concurrent_spends_across_two_processes_never_overspend(
    gql, client, seed, settings, tmp_path
):
    pos, card, pk = await pos_and_member(gql, client, seed)
    agent = await sign_in_staff(gql, "agent@test.cn")
    granted = await agent(
        """mutation($id: ID!) { pointsAdjust(memberId: $id, points: 100, reason: "开卡礼遇赠送") {
        __typename } }""",
        {"id": to_base64("Member", pk)},
    )
    assert granted["data"]["pointsAdjust"]["__typename"] == "Points"

    env = settings_env(settings)
    ports = [free_port(), free_port()]
    with (
        running(
            [str(BIN / "loyalty"), "serve", "--port", str(ports[0])],
            env,
            ports[0],
            tmp_path / "a.log",
        ) as a,
        running(
            [str(BIN / "loyalty"), "serve", "--port", str(ports[1])],
            env,
            ports[1],
            tmp_path / "b.log",
        ) as b,
    ):
        headers = {"Authorization": f"Bearer {pos.token}"}

        def spend() -> dict:
            o = order_input(card, fen=0, pointsToRedeem=100)
            o["lines"][0]["unitPriceFen"] = 100
            return o

        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=100)) as c:
            responses = await asyncio.gather(
                *(
                    c.post(
                        f"{(a, b)[i % 2]}/graphql",
                        json={"query": ORDER, "variables": {"in": spend()}},
                        headers=headers,
                    )
                    for i in range(SPENDS)
                )
            )
    assert {r.status_code for r in responses} == {200}
    kinds = [r.json()["data"]["orderCreate"]["__typename"] for r in responses]
    assert kinds.count("OrderCreateSuccess") == 1
    assert kinds.count("InsufficientPointsError") == SPENDS - 1
    acct = await PointsAccount.get(member_id=pk)
    assert (acct.balance, acct.pending) == (0, 0)
    points = await LedgerEntry.filter(member_id=pk).values_list("kind", "points")
    assert sorted(points) == [("ADJUST", 100), ("REDEEM", -100)]
