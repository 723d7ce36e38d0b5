"""Points gone at 00:00 on 1 January are usable through 31 December: the expiry reminder
names that last day (Asia/Shanghai), and GraphQL shows it beside the expiry instant."""

from __future__ import annotations

from datetime import UTC, date, datetime

from strawberry.relay import to_base64

from domain import clock
from domain.notifications.tables import Message
from domain.points import jobs
from domain.points.model import lot_expiry
from tests.conftest import sign_in_staff, wait_for
from tests.factories import ORDER, as_member, at, consent, order_input, pos_and_member

ME = """{ me { points {
  expiring(days: 30) { points at lastUsableDay }
  availableSoon { lastUsableDay }
  history(first: 5, kind: EARN) { edges { node { expiresAt lastUsableDay } } } } } }"""
BODIES = """query($id: ID!) { notifications(memberId: $id) { template body } }"""


async def test_reminder_and_fields_name_the_last_usable_day(gql, client, seed, app):
    pos, card, pk = await pos_and_member(gql, client, seed)
    await consent(pk)
    r = await pos(ORDER, {"in": order_input(card, fen=12_300)})
    points = r["data"]["orderCreate"]["order"]["pointsEarned"]
    gone = lot_expiry(clock.now(), app.state.rt.settings.points_expiry_extra_years)
    local = gone.astimezone(clock.SHANGHAI)
    assert (local.month, local.day, local.hour, local.minute) == (1, 1, 0, 0)  # 00:00, 1 Jan
    last = date(local.year - 1, 12, 31)

    # three weeks before, at noon in Shanghai: released, then reminded
    at(datetime(last.year, 12, 10, 4, 0, tzinfo=UTC))
    await jobs.release_due()
    assert await jobs.remind_expiring(30) >= 1
    app.state.relay.kick()
    await app.state.relay.drain()

    async def reminder() -> list[str]:
        return [m.template for m in await Message.filter(member_id=pk, template="points_expiring")]

    await wait_for(reminder, within=30)
    admin = await sign_in_staff(gql, "admin@test.cn")
    rows = (await admin(BODIES, {"id": to_base64("Member", pk)}))["data"]["notifications"]
    bodies = [x["body"] for x in rows if x["template"] == "points_expiring"]
    assert bodies == [
        f"【鲜选会员】您有 {points} 积分有效期至 {last.isoformat()}（当日 24 时后失效），"
        "快来兑换好礼吧。"
    ]
    assert local.date().isoformat() not in bodies[0]

    me = await as_member(gql, app, pk)
    got = (await me(ME))["data"]["me"]["points"]
    assert [(x["points"], x["lastUsableDay"]) for x in got["expiring"]] == [
        (points, last.isoformat())
    ]
    assert datetime.fromisoformat(got["expiring"][0]["at"]) == gone  # the instant, in UTC
    assert got["availableSoon"] == []
    entry = got["history"]["edges"][0]["node"]
    assert datetime.fromisoformat(entry["expiresAt"]) == gone
    assert entry["lastUsableDay"] == last.isoformat()
