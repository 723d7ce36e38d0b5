"""Messages at rest: no sign-in code and no personal text in clear, and their text is
blanked after the retention period (MESSAGE_BODY_RETENTION_DAYS)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from strawberry.relay import to_base64
from tortoise.connection import get_connection

from domain import clock
from domain.notifications import services
from domain.notifications.model import Channel, Purpose
from domain.notifications.sealing import body_of, seal, variables_of
from domain.notifications.services import RECIPIENT_CONTEXT
from domain.notifications.tables import Message
from tests.conftest import request_code, sign_in_member, sign_in_staff, wait_for
from tests.factories import pos_and_member

NOTIFICATIONS = """query($id: ID!) { notifications(memberId: $id) { template status body } }"""


async def raw_row(message_id: int) -> str:
    """Every column of the stored row, as the database holds it."""
    _, rows = await get_connection("default").execute_query(
        f"SELECT * FROM messages WHERE id = {int(message_id)}"  # noqa: S608
    )
    return " ".join(str(v) for v in dict(rows[0]).values())


async def test_a_sign_in_code_is_never_stored_in_clear(gql, app):
    phone = f"+86135{secrets.randbelow(10**8):08d}"
    code = await request_code(gql, phone)  # read from the development sink only
    latest = await Message.filter(template="otp").order_by("-id").first()  # ours
    message = await wait_for(lambda: Message.get_or_none(id=latest.id, status="SENT"))
    stored = await raw_row(message.id)
    assert code not in stored and "验证码" not in stored
    cipher = app.state.rt.cipher
    text = body_of(cipher, message.body_enc)
    assert text == "【鲜选会员】验证码 ******，5 分钟内有效。请勿告诉他人。"
    assert variables_of(cipher, message.variables_enc) == {"code": "******", "minutes": "5"}
    signed = await sign_in_member(gql, phone, code)  # the code itself still works
    assert signed["accessToken"]


async def stored(app, member_id: int, name: str, *, days_ago: int, status: str) -> int:
    """A message row as the services write it, done with ``days_ago`` (no outbox event:
    no worker touches it)."""
    cipher = app.state.rt.cipher
    message = await Message.create(
        member_id=member_id,
        channel=Channel.PUSH.value,
        recipient_enc=cipher.encrypt(f"member:{member_id}", context=RECIPIENT_CONTEXT),
        template="coupon_expiring",
        purpose=Purpose.TRANSACTIONAL.value,
        status=status,
        created_at=clock.now() - timedelta(days=days_ago),
        **seal(cipher, "coupon_expiring", Channel.PUSH, {"name": name, "date": "2026-12-31"}),
    )
    return message.id


async def test_personal_text_is_encrypted_and_staff_still_read_it(gql, client, seed, app):
    _pos, _card, pk = await pos_and_member(gql, client, seed)
    name = f"韩梅梅{secrets.token_hex(3)}"
    message = await services.queue(
        app.state.rt,
        channel=Channel.PUSH,
        recipient=f"member:{pk}",
        template="coupon_expiring",
        variables={"name": name, "date": "2026-12-31"},
        purpose=Purpose.TRANSACTIONAL,
        member_id=pk,
    )
    assert name not in await raw_row(message.id) and "到期" not in await raw_row(message.id)
    admin = await sign_in_staff(gql, "admin@test.cn")
    rows = (await admin(NOTIFICATIONS, {"id": to_base64("Member", pk)}))["data"]["notifications"]
    assert f"您的「{name}」将于 2026-12-31 到期，别忘了使用。" in [r["body"] for r in rows]


async def test_purge_blanks_old_bodies_only(gql, client, seed, app):
    _pos, _card, pk = await pos_and_member(gql, client, seed)
    days = app.state.rt.settings.message_body_retention_days
    old_sent = await stored(app, pk, "旧券", days_ago=days + 1, status="SENT")
    old_failed = await stored(app, pk, "败券", days_ago=days + 1, status="FAILED")
    young = await stored(app, pk, "新券", days_ago=days - 1, status="SENT")
    old_waiting = await stored(app, pk, "等券", days_ago=days + 1, status="DEFERRED")
    before = {
        m.id: (m.body_enc, m.variables_enc)
        for m in await Message.filter(id__in=[young, old_waiting])
    }

    purged = await services.purge_bodies(app.state.rt)

    assert purged >= 2
    rows = {m.id: m for m in await Message.filter(id__in=[old_sent, old_failed])}
    assert {(m.body_enc, m.variables_enc, m.status) for m in rows.values()} == {
        ("", "", "SENT"),
        ("", "", "FAILED"),
    }
    after = {
        m.id: (m.body_enc, m.variables_enc)
        for m in await Message.filter(id__in=[young, old_waiting])
    }
    assert after == before and all(b and v for b, v in after.values())
    assert await services.purge_bodies(app.state.rt) == 0  # nothing left to purge
