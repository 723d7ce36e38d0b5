"""The feeds step of a member merge: the absorbed member's dismissals, category mutes,
personalisation choice and feed events move to the survivor.

* a dismissal of an item both dismissed keeps the survivor's row with the later
  ``until``; the absorbed one's row is deleted (recorded whole, recreated on unmerge);
* a category both muted keeps the survivor's row; the absorbed one's is recreated on
  unmerge;
* the stricter preference wins: personalised off on either side is off for the survivor
  (the absorbed record keeps its own row, so an unmerge finds it as it was);
* an event whose client event id the survivor also used is renamed ``<id>~<absorbed id>``
  so (member, clientEventId) stays unique; unmerge renames it back.

Both members' feed versions are bumped, so neither feed is served from a cache.
``restore`` undoes exactly what ``move`` recorded."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain import clock
from domain.feeds.store import signals as store
from domain.members.merge import register_participant

if TYPE_CHECKING:
    from domain.members.tables import Member


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


class FeedTransfer:
    name = "feeds"

    async def move(self, absorbed: Member, survivor: Member) -> dict[str, Any]:
        a, s = absorbed.id, survivor.id
        record: dict[str, Any] = {}
        theirs = {d.item_key: d for d in await store.dismissal_rows(s)}
        moved, dropped, extended = [], [], []
        for d in await store.dismissal_rows(a):
            kept = theirs.get(d.item_key)
            if kept is None:
                moved.append(d.id)
                continue
            dropped.append([d.item_key, d.reason, d.created_at.isoformat(), d.until.isoformat()])
            await store.delete_dismissal(d.id)
            if d.until > kept.until:
                extended.append([kept.id, kept.reason, kept.until.isoformat()])
                await store.set_dismissal(kept.id, d.reason, d.until)
        await store.repoint_dismissals(moved, a, s)
        record["dismissals"] = {"moved": moved, "dropped": dropped, "extended": extended}

        muted = {m.category for m in await store.mute_rows(s)}
        moved_mutes, dropped_mutes = [], []
        for m in await store.mute_rows(a):
            if m.category in muted:
                dropped_mutes.append([m.category, m.created_at.isoformat()])
                await store.delete_mute(m.id)
            else:
                moved_mutes.append(m.id)
        await store.repoint_mutes(moved_mutes, a, s)
        record["mutes"] = {"moved": moved_mutes, "dropped": dropped_mutes}

        mine, other = await store.personalised(s), await store.personalised(a)
        record["preference"] = mine
        if other is False and mine is not False:
            await store.set_personalised(s, False, clock.now())

        used = {cid for _id, cid in await store.event_ids(s)}
        plain, renamed = [], []
        for eid, cid in await store.event_ids(a):
            if cid in used:
                renamed.append([eid, cid])
                await store.repoint_event(eid, a, s, f"{cid}~{a}")
            else:
                plain.append(eid)
        await store.repoint_events(plain, a, s)
        record["events"] = {"moved": plain, "renamed": renamed}

        now = clock.now()
        await store.touch(s, now)
        await store.touch(a, now)
        return record

    async def restore(self, record: dict[str, Any], absorbed: Member, survivor: Member) -> None:
        a, s = absorbed.id, survivor.id
        d = record["dismissals"]
        await store.repoint_dismissals(d["moved"], s, a)
        for row_id, reason, until in d["extended"]:
            await store.set_dismissal(row_id, reason, _at(until))
        for key, reason, created_at, until in d["dropped"]:
            await store.add_dismissal(a, key, reason, _at(created_at), _at(until))
        m = record["mutes"]
        await store.repoint_mutes(m["moved"], s, a)
        for category, created_at in m["dropped"]:
            await store.add_mute(a, category, _at(created_at))
        before = record["preference"]
        if before is None:
            await store.drop_preference(s)
        else:
            await store.set_personalised(s, before, clock.now())
        e = record["events"]
        await store.repoint_events(e["moved"], s, a)
        for eid, cid in e["renamed"]:
            await store.repoint_event(eid, s, a, cid)
        now = clock.now()
        await store.touch(s, now)
        await store.touch(a, now)


register_participant(FeedTransfer())
