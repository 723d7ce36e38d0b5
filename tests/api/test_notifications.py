"""Marketing messages obey consent, the weekly cap per channel and quiet hours; staff
see every attempt and why it was not sent (``notifications``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from strawberry.relay import to_base64

from domain import clock
from domain.notifications.marketing import release_deferred, send_marketing
from domain.notifications.model import Channel, Purpose, decide, parse_quiet_hours
from domain.notifications.sealing import seal
from domain.notifications.services import RECIPIENT_CONTEXT, StillSending, deliver
from domain.notifications.tables import Message
from tests.conftest import sign_in_staff, wait_for
from tests.factories import at, consent, pos_and_member
from tests.fakes import VARS, WECHAT_TEMPLATES, FakeWeChat, serving

NOTIFICATIONS = """query($id: ID!) { notifications(memberId: $id) {
  channel template purpose status reason adapter sendAfter } }"""
NOON = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
NIGHT = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai


async def marketing(app, pk: int) -> Message:
    return await send_marketing(
        app.state.rt,
        member_id=pk,
        channel=Channel.SMS,
        template="points_expiring",
        variables={"points": 120, "date": "2026-12-31"},
    )


async def test_consent_cap_and_quiet_hours_with_reasons(gql, client, seed, app):
    _pos, _card, pk = await pos_and_member(gql, client, seed)
    at(NOON)
    first = await marketing(app, pk)
    assert (first.status, first.reason) == ("SUPPRESSED", "no consent for MARKETING_SMS")
    await consent(pk)
    sent = [await marketing(app, pk) for _ in range(3)]
    assert [m.status for m in sent] == ["QUEUED"] * 3
    capped = await marketing(app, pk)
    assert capped.status == "SUPPRESSED" and capped.reason.startswith("frequency cap: 3")

    at(NIGHT + timedelta(days=7, minutes=1))  # a new week, at 22:31 in Shanghai
    deferred = await marketing(app, pk)
    assert (deferred.status, deferred.reason) == ("DEFERRED", "quiet hours")
    assert deferred.send_after == datetime(2026, 12, 10, 1, 0, tzinfo=UTC)  # 09:00 next day
    await release_deferred()  # still night: it stays (other tests' tier news may go)
    assert await _status_is(deferred.id, "DEFERRED")
    at(datetime(2026, 12, 10, 1, 0, 30, tzinfo=UTC))
    assert await release_deferred() >= 1
    app.state.relay.kick()
    await app.state.relay.drain()
    await wait_for(lambda: _status_is(deferred.id, "SENT"))

    admin = await sign_in_staff(gql, "admin@test.cn")
    rows = (await admin(NOTIFICATIONS, {"id": to_base64("Member", pk)}))["data"]["notifications"]
    statuses = [(r["status"], r["reason"]) for r in rows if r["template"] == "points_expiring"]
    assert statuses[0] == ("SENT", "quiet hours")  # newest first: deferred, then sent
    assert ("SUPPRESSED", "no consent for MARKETING_SMS") in statuses
    assert sum(1 for s in statuses if s[0] == "SUPPRESSED") == 2
    store = await sign_in_staff(gql, "gz01@test.cn")  # a store of another region
    hidden = await store(NOTIFICATIONS, {"id": to_base64("Member", pk)})
    # null, as `member` answers; not an "Unexpected error." with a logged traceback
    assert hidden == {"data": {"notifications": None}}


async def _status_is(message_id: int, status: str) -> bool:
    return (await Message.get(id=message_id)).status == status


def test_transactional_messages_skip_the_marketing_rules():
    quiet = parse_quiet_hours("21:00-09:00")
    d = decide(
        purpose=Purpose.TRANSACTIONAL,
        channel=Channel.SMS,
        consented=False,
        sent_in_week=99,
        weekly_cap=3,
        now=NIGHT,
        quiet=quiet,
    )
    assert d.status == "QUEUED"
    d = decide(
        purpose=Purpose.MARKETING,
        channel=Channel.PUSH,
        consented=True,
        sent_in_week=0,
        weekly_cap=3,
        now=NOON,
        quiet=quiet,
    )
    assert d.status == "QUEUED"


async def mini_program_message(app, pk: int, openid: str) -> Message:
    """A queued message with no outbox event: only this test delivers it."""
    return await Message.create(
        member_id=pk,
        channel=Channel.MINI_PROGRAM.value,
        recipient_enc=app.state.rt.cipher.encrypt(openid, context=RECIPIENT_CONTEXT),
        template="points_expiring",
        **seal(app.state.rt.cipher, "points_expiring", Channel.MINI_PROGRAM, VARS),
        purpose=Purpose.TRANSACTIONAL.value,
        created_at=clock.now(),
    )


async def test_a_provider_refusal_is_failed_with_its_reason_not_retried(gql, client, seed, app):
    _pos, _card, pk = await pos_and_member(gql, client, seed)
    fake = FakeWeChat(subscribed={"o-subscribed"})
    with serving(fake.app()) as base:
        wechat = app.state.rt.settings.model_copy(
            update={
                "mini_program_provider": "wechat",
                "wechat_app_id": fake.app_id,
                "wechat_app_secret": fake.secret,
                "wechat_subscribe_templates": WECHAT_TEMPLATES,
                "wechat_api_base": base,
            }
        )
        rt = replace(app.state.rt, settings=wechat)
        accepted = await mini_program_message(app, pk, "o-subscribed")
        refused = await mini_program_message(app, pk, "o-never-subscribed")
        assert await deliver(rt, accepted.id) is True
        assert await deliver(rt, refused.id) is False
        assert await deliver(rt, refused.id) is False  # FAILED is final: no second attempt
    assert [m["touser"] for m in fake.sent] == ["o-subscribed"]

    admin = await sign_in_staff(gql, "admin@test.cn")
    rows = (await admin(NOTIFICATIONS, {"id": to_base64("Member", pk)}))["data"]["notifications"]
    mini = [(r["status"], r["adapter"], r["reason"]) for r in rows if r["channel"] != "SMS"]
    assert mini == [
        ("FAILED", "wechat-subscribe", "WeChat 43101: user refuse to accept the msg"),
        ("SENT", "wechat-subscribe", ""),
    ]


async def test_a_send_cut_off_mid_call_goes_out_once_after_its_lease(gql, client, seed, app):
    _pos, _card, pk = await pos_and_member(gql, client, seed)
    message = await mini_program_message(app, pk, "o-openid")
    held_until = clock.now() + timedelta(seconds=60)  # a worker died holding it
    await Message.filter(id=message.id).update(status="SENDING", sending_until=held_until)
    with pytest.raises(StillSending):  # the redelivered job retries later
        await deliver(app.state.rt, message.id)
    assert (await Message.get(id=message.id)).status == "SENDING"
    clock.advance(timedelta(seconds=61))
    assert await deliver(app.state.rt, message.id) is True
    assert await deliver(app.state.rt, message.id) is False  # and only once
    admin = await sign_in_staff(gql, "admin@test.cn")
    rows = (await admin(NOTIFICATIONS, {"id": to_base64("Member", pk)}))["data"]["notifications"]
    assert [(r["status"], r["adapter"]) for r in rows] == [("SENT", "local-sink")]
