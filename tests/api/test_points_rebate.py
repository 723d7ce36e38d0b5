"""The year-end rebate converts points: the net points of the year (after refunds) become a
rebate coupon and leave the balance with a REBATE entry, exactly once per member and
year; a member whose coupon would be below the minimum keeps every point. Runs on SQLite
and PostgreSQL (two runs at once convert once)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from domain import clock
from domain.points import jobs
from domain.points.tables import LedgerEntry, PointsRebate
from domain.points.verify import verify
from tests.factories import (
    ORDER,
    REFUND,
    as_member,
    at,
    coupons_of,
    order_input,
    pos_and_member,
    trigger_template,
)

ME = """{ me { points { balance pending
  history(first: 10, kind: REBATE) { edges { node { kind points breakdown } } } }
  coupons(first: 10) { edges { node { source description } } } } }"""


async def home(gql, app, pk: int) -> dict:
    me = await as_member(gql, app, pk)
    got = (await me(ME))["data"]["me"]
    return {
        "balance": got["points"]["balance"],
        "pending": got["points"]["pending"],
        "rebates": [e["node"] for e in got["points"]["history"]["edges"]],
        "coupons": [c["node"] for c in got["coupons"]["edges"]],
    }


async def test_year_end_rebate_converts_net_points_once(gql, client, seed, app):
    await trigger_template(gql, "YEAR_END_REBATE", thresholdFen=0, valueFen=1)
    s = app.state.rt.settings
    pos, card, big = await pos_and_member(gql, client, seed)
    _, small_card, small = await pos_and_member(gql, client, seed)
    o = order_input(card, fen=150_000)
    earned = (await pos(ORDER, {"in": o}))["data"]["orderCreate"]["order"]["pointsEarned"]
    refund = {"orderExternalId": o["externalId"], "refundExternalId": o["externalId"] + "-R"}
    r = (await pos(REFUND, {"in": {**refund, "amountFen": 30_000}}))["data"]["orderRefund"]
    reversed_ = r["refund"]["pointsReversed"]
    assert earned > 0 and reversed_ > 0
    net = earned - reversed_
    small_o = order_input(small_card, fen=3_000)  # 30 points: a coupon below the minimum
    kept = (await pos(ORDER, {"in": small_o}))["data"]["orderCreate"]["order"]["pointsEarned"]
    assert 0 < kept * s.coupon_rebate_fen_per_100_points // 100 < s.coupon_rebate_min_fen
    year = clock.business_date().year
    value = net * s.coupon_rebate_fen_per_100_points // 100
    assert value >= s.coupon_rebate_min_fen

    at(datetime(year + 1, 1, 1, 3, 0, tzinfo=clock.SHANGHAI))  # the scheduled run
    assert (await home(gql, app, big))["balance"] == 0  # still pending before the run
    assert await jobs.year_end_rebate(app.state.rt, year) >= 1
    after = await home(gql, app, big)
    # the refund reduced the base: net points converted, the balance is left empty
    assert after["balance"] == 0 and after["pending"] == 0
    assert after["rebates"] == [
        {
            "kind": "REBATE",
            "points": -net,
            "breakdown": {
                "year": year,
                "netPoints": net,
                "valueFen": value,
                "lots": after["rebates"][0]["breakdown"]["lots"],
            },
        }
    ]
    assert sum(after["rebates"][0]["breakdown"]["lots"].values()) == net
    assert [c["source"] for c in after["coupons"]] == ["TRIGGER"]
    assert after["coupons"][0]["description"].startswith(f"立减{value / 100:g}")
    coupon = (await coupons_of_year(big, year))[0]
    assert coupon.value_fen == value
    below = await home(gql, app, small)
    assert below == {"balance": kept, "pending": 0, "rebates": [], "coupons": []}

    # re-runs (one after the other, and two at once) change nothing more
    assert await jobs.year_end_rebate(app.state.rt, year) == 0
    assert await asyncio.gather(
        jobs.year_end_rebate(app.state.rt, year), jobs.year_end_rebate(app.state.rt, year)
    ) == [0, 0]
    assert await home(gql, app, big) == after
    assert await home(gql, app, small) == below
    assert await LedgerEntry.filter(member_id=big, kind="REBATE").count() == 1
    assert [(r.points, r.value_fen) for r in await PointsRebate.filter(member_id=big)] == [
        (net, value)
    ]
    assert [m for m in await verify() if m.member_id in (big, small)] == []


async def coupons_of_year(pk: int, year: int):
    from domain.coupons.tables import CouponTemplate

    t = await CouponTemplate.filter(trigger="YEAR_END_REBATE", active=True).order_by("id").first()
    assert t is not None
    return [c for c in await coupons_of(pk, t.code) if c.source_ref == f"rebate:{year}"]


async def test_two_first_runs_at_once_convert_a_member_once(gql, client, seed, app):
    """Two runs of the year's job racing from the start (a re-delivered message, an
    operator's `jobs run` during the scheduled one): one REBATE entry, one coupon."""
    await trigger_template(gql, "YEAR_END_REBATE", thresholdFen=0, valueFen=1)
    pos, card, pk = await pos_and_member(gql, client, seed)
    earned = (await pos(ORDER, {"in": order_input(card, fen=120_000)}))["data"]["orderCreate"]
    points = earned["order"]["pointsEarned"]
    year = clock.business_date().year
    at(datetime(year + 1, 1, 8, 3, 0, tzinfo=clock.SHANGHAI))  # the scheduled run
    before = await home(gql, app, pk)
    assert before["rebates"] == [] and before["coupons"] == []
    runs = await asyncio.gather(
        jobs.year_end_rebate(app.state.rt, year), jobs.year_end_rebate(app.state.rt, year)
    )
    assert sum(runs) >= 1  # this member converted by one of the two, never by both
    after = await home(gql, app, pk)
    assert after["balance"] == 0 and len(after["coupons"]) == 1
    assert [e["points"] for e in after["rebates"]] == [-points]
    assert await LedgerEntry.filter(member_id=pk, kind="REBATE").count() == 1
    assert await PointsRebate.filter(member_id=pk).count() == 1
    assert len(await coupons_of_year(pk, year)) == 1
    assert [m for m in await verify() if m.member_id == pk] == []
