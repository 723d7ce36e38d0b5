"""Coupon races across four real server processes on PostgreSQL: 10,000 redemptions of
one code for 10,000 orders (exactly one wins, every other answer is typed), and 50
claims of a template with 10 left and a limit of one each (10 coupons, nobody has two)."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import aiohttp
import pytest

from domain.coupons.tables import Coupon, CouponRedemption, CouponTemplate
from tests.conftest import settings_env
from tests.factories import (
    CLAIM,
    REDEEM,
    as_member,
    draft,
    issue,
    pos_and_member,
    redeemer,
    template,
)
from tests.processes import free_port, running

pytestmark = pytest.mark.backend("postgres")
BIN = Path(sys.executable).parent
PROCESSES = 4
REDEEMS = 10_000
CONNECTIONS = 200


@pytest.fixture(scope="module")
def servers(settings, tmp_path_factory):
    """Four API processes on the test database."""
    env = settings_env(settings)
    logs = tmp_path_factory.mktemp("servers")
    with ExitStack() as stack:
        bases = []
        for n in range(PROCESSES):
            port = free_port()
            argv = [str(BIN / "loyalty"), "serve", "--port", str(port)]
            bases.append(stack.enter_context(running(argv, env, port, logs / f"{n}.log")))
        yield bases


async def post_all(bases: list[str], bodies: list[tuple[str, dict]]) -> list[tuple[int, dict]]:
    """Every (token, body) as fast as CONNECTIONS connections allow, round robin over
    the processes: (status, JSON) each. aiohttp, as httpx spends ~9 ms of CPU per
    request at this volume and the client, not the servers, would set the pace."""
    gate = asyncio.Semaphore(CONNECTIONS)
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=120)
    ) as session:

        async def post(i: int, token: str, body: dict) -> tuple[int, dict]:
            async with (
                gate,
                session.post(
                    f"{bases[i % len(bases)]}/graphql",
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                ) as r,
            ):
                return r.status, await r.json()

        return await asyncio.gather(*(post(i, t, b) for i, (t, b) in enumerate(bodies)))


async def test_ten_thousand_redemptions_of_one_code_one_wins(gql, client, seed, servers):
    _, _, pk = await pos_and_member(gql, client, seed)
    (code,) = await issue(gql, await template(gql), pk)
    till = await redeemer(gql, client)
    bodies = [
        (
            till.token,
            {
                "query": REDEEM,
                "variables": {
                    "in": {"code": code, "orderExternalId": f"RACE-{i:05d}", "order": draft()}
                },
            },
        )
        for i in range(REDEEMS)
    ]
    responses = await post_all(servers, bodies)
    assert Counter(status for status, _ in responses) == {200: REDEEMS}
    answers = [body["data"]["couponRedeem"] for _, body in responses]
    kinds = Counter(a["__typename"] for a in answers)
    assert kinds == {"CouponRedeemSuccess": 1, "CouponAlreadyRedeemedError": REDEEMS - 1}
    assert {a["code"] for a in answers if "code" in a} == {"COUPON_ALREADY_REDEEMED"}
    winner = next(a for a in answers if a["__typename"] == "CouponRedeemSuccess")
    rows = await CouponRedemption.filter(coupon__code=code).values_list(
        "order_external_id", "status", "discount_fen"
    )
    assert rows == [(winner["redemption"]["orderExternalId"], "REDEEMED", 2_000)]
    assert (await Coupon.get(code=code)).status == "USED"

    # the winner's retry for its own order: the same success, still one row
    again = await till(
        REDEEM,
        {
            "in": {
                "code": code,
                "orderExternalId": winner["redemption"]["orderExternalId"],
                "order": draft(),
            }
        },
    )
    assert again["data"]["couponRedeem"]["replayed"] is True
    assert await CouponRedemption.filter(coupon__code=code).count() == 1


async def test_fifty_claims_of_ten_left_never_oversell_nor_double(gql, client, seed, app, servers):
    offer = await template(gql, claimable=True, totalStock=10, perMemberLimit=1)
    members = [(await pos_and_member(gql, client, seed))[2] for _ in range(25)]
    tokens = [(await as_member(gql, app, pk)).token for pk in members]
    bodies = [(t, {"query": CLAIM, "variables": {"t": offer}}) for t in tokens * 2]
    responses = await post_all(servers, bodies)
    assert Counter(status for status, _ in responses) == {200: 50}
    answers = [body["data"]["couponClaim"] for _, body in responses]
    kinds = Counter(a["__typename"] for a in answers)
    assert kinds == {"CouponClaimSuccess": 10, "CouponUnavailableError": 40}
    assert {a["reason"] for a in answers if "reason" in a} <= {"OUT_OF_STOCK", "LIMIT_REACHED"}
    holders = Counter(await Coupon.filter(template__code=offer).values_list("member_id", flat=True))
    assert sum(holders.values()) == 10 and max(holders.values()) == 1
    t = await CouponTemplate.get(code=offer)
    assert (t.stock_left, t.issued_count) == (0, 10)
