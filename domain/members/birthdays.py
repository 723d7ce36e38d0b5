"""Birthday events: on a member's birthday (Asia/Shanghai) one ``member.birthday`` event,
once per member and year, for whatever celebrates it (the birthday coupon of their
tier, a greeting). Members born on 29 February are celebrated on the 28th in other
years. Birthdays are matched through their blind index, never decrypted in bulk."""

from __future__ import annotations

import calendar
from datetime import date

from domain import clock
from domain.db import IntegrityError, in_transaction
from domain.events import outbox
from domain.members import store
from domain.members.model import birth_month_day
from domain.runtime import Runtime

TOPIC_BIRTHDAY = "member.birthday"


def month_days(today: date) -> list[str]:
    days = [birth_month_day(today)]
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
        days.append("02-29")
    return days


async def emit_birthdays(rt: Runtime) -> int:
    """Record today's birthday events; returns how many were new (a rerun adds none)."""
    now = clock.now()
    today = clock.business_date(now)
    hashes = [rt.cipher.blind_index(md, purpose="bday") for md in month_days(today)]
    members = await store.active_born_on(hashes)
    emitted = 0
    for member_id, tier in members:
        try:
            async with in_transaction():
                await store.add_birthday_greeting(member_id, today.year, now)
                await outbox.record(
                    TOPIC_BIRTHDAY, {"member_id": member_id, "year": today.year, "tier": tier}
                )
            emitted += 1
        except IntegrityError:
            continue  # this year's event exists already
    return emitted
