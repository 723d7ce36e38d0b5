"""Birthday events: one per member and year on the day (Asia/Shanghai), a leap-day
birthday on 28 February in other years, and a second run of the job adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.events.tables import OutboxEvent
from domain.members.birthdays import TOPIC_BIRTHDAY, emit_birthdays
from tests.factories import _node, at, new_phone, partner, register


async def birthday_events_of(pks: set[int]) -> list[tuple[int, int]]:
    rows = await OutboxEvent.filter(topic=TOPIC_BIRTHDAY).values_list("payload", flat=True)
    return sorted((p["member_id"], p["year"]) for p in rows if p["member_id"] in pks)


async def test_one_birthday_event_per_member_and_year(gql, client, seed, app):
    pos = await partner(gql, client, seed)
    pks = {}
    for name, day in (("nov30", "1990-11-30"), ("leap", "1992-02-29"), ("other", "1985-12-01")):
        r = await register(pos, new_phone(), homeStoreCode="SH01", birthday=day)
        pks[name] = int(_node(r["member"]["id"]))
    ours = set(pks.values())
    rt = app.state.rt

    at(datetime(2027, 2, 27, 16, 30, tzinfo=UTC))  # 00:30 on 28 February 2027 in Shanghai
    assert await emit_birthdays(rt) >= 1
    assert await birthday_events_of(ours) == [(pks["leap"], 2027)]  # 2027 has no 29th

    at(datetime(2027, 11, 29, 16, 5, tzinfo=UTC))  # 00:05 on 30 November in Shanghai
    await emit_birthdays(rt)
    assert await emit_birthdays(rt) == 0  # the job ran twice: nothing new
    assert await birthday_events_of(ours) == sorted([(pks["leap"], 2027), (pks["nov30"], 2027)])

    at(datetime(2028, 11, 30, 4, 0, tzinfo=UTC))  # next year: again, once
    await emit_birthdays(rt)
    await emit_birthdays(rt)
    assert await birthday_events_of(ours) == sorted(
        [(pks["leap"], 2027), (pks["nov30"], 2027), (pks["nov30"], 2028)]
    )
