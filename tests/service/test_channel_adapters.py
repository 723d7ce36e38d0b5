"""The push, mini-program and e-mail adapters against local fakes of their providers
(real HTTP and SMTP servers on 127.0.0.1, started here)."""

from __future__ import annotations

import email
import time
from email import policy

import pytest

from domain.config import ConfigError
from domain.notifications.adapters import adapters_for
from domain.notifications.jpush import JPush
from domain.notifications.model import Channel, PermanentProviderError, ProviderError
from domain.notifications.smtp_email import SmtpEmail
from domain.notifications.wechat import WeChatSubscribe
from tests.conftest import base_settings
from tests.fakes import VARS, WECHAT_TEMPLATES, FakeJPush, FakeWeChat, serving, smtp_server

BODY = "您有 120 积分将于 2026-12-31 到期，快来兑换好礼吧。"
SMTP_TIMEOUT_S = 0.5


def wechat(fake: FakeWeChat, base: str, secret: str | None = None) -> WeChatSubscribe:
    return WeChatSubscribe(
        app_id=fake.app_id,
        app_secret=secret or fake.secret,
        templates=WECHAT_TEMPLATES,
        api_base=base,
    )


async def test_wechat_subscription_message_reuses_and_renews_its_token():
    fake = FakeWeChat(subscribed={"o-openid-1"})
    with serving(fake.app()) as base:
        adapter = wechat(fake, base)
        assert await adapter.send("o-openid-1", BODY, "points_expiring", VARS) == "701"
        assert await adapter.send("o-openid-1", BODY, "points_expiring", VARS) == "702"
        assert len(fake.token_requests) == 1  # one token for both sends
        fake.expire_token()
        assert await adapter.send("o-openid-1", BODY, "points_expiring", VARS) == "703"
        assert [r["force_refresh"] for r in fake.token_requests] == [False, True]
    first = fake.sent[0]
    assert first == {
        "touser": "o-openid-1",
        "template_id": "TPL-POINTS",
        "page": "pages/points/index",
        "miniprogram_state": "formal",
        "lang": "zh_CN",
        "data": {
            "number1": {"value": "120"},
            "date2": {"value": "2026-12-31"},
            "thing3": {"value": BODY[:20]},  # WeChat's limit for a thing field
        },
    }


async def test_wechat_refusals_are_permanent_or_retried():
    fake = FakeWeChat(subscribed={"o-openid-1"})
    with serving(fake.app()) as base:
        with pytest.raises(PermanentProviderError, match="43101"):  # never subscribed
            await wechat(fake, base).send("o-stranger", BODY, "points_expiring", VARS)
        with pytest.raises(ProviderError, match="40125"):  # wrong secret: retry after a fix
            await wechat(fake, base, secret="wrong").send("o-openid-1", BODY, "points_expiring", {})
        with pytest.raises(ProviderError, match="no WeChat template"):
            await wechat(fake, base).send("o-openid-1", BODY, "tier_up", {})
    assert fake.sent == []


async def test_jpush_sends_to_the_member_alias_with_basic_auth():
    fake = FakeJPush(aliases={"member:7"})
    with serving(fake.app()) as base:
        adapter = JPush(
            app_key=fake.app_key, master_secret=fake.master_secret, endpoint=f"{base}/v3/push"
        )
        assert await adapter.send("member:7", BODY, "points_expiring", VARS) == "54001"
        with pytest.raises(PermanentProviderError, match="1011"):  # no device for the alias
            await adapter.send("member:8", BODY, "points_expiring", VARS)
        fake.down = True
        with pytest.raises(ProviderError, match="1000") as transient:
            await adapter.send("member:7", BODY, "points_expiring", VARS)
        assert not isinstance(transient.value, PermanentProviderError)
        fake.down = False
        wrong = JPush(app_key=fake.app_key, master_secret="nope", endpoint=f"{base}/v3/push")
        with pytest.raises(ProviderError, match="1004"):
            await wrong.send("member:7", BODY, "points_expiring", VARS)
    (push,) = fake.pushed
    assert push["audience"] == {"alias": ["member:7"]} and push["platform"] == "all"
    assert push["notification"]["alert"] == BODY
    assert push["notification"]["ios"]["extras"] == {"template": "points_expiring", **VARS}
    assert push["options"]["apns_production"] is True


@pytest.mark.filterwarnings("ignore:Requiring AUTH:UserWarning")  # loopback test server
async def test_smtp_sends_utf8_mail_with_login_and_refusals_are_permanent(tmp_path):
    login = "mailer-pass"
    with smtp_server("mailer", login, refuse={"gone@example.com"}) as (port, inbox):

        def adapter(password: str = login) -> SmtpEmail:
            smtp = adapters_for(
                base_settings(
                    tmp_path,
                    email_provider="smtp",
                    smtp_host="127.0.0.1",
                    smtp_port=port,
                    smtp_from="鲜选会员 <member@xianxuan.example>",
                    smtp_username="mailer",
                    smtp_password=password,
                    smtp_security="none",
                    smtp_timeout_s=SMTP_TIMEOUT_S,  # a bad login is answered by silence
                )
            )[Channel.EMAIL]
            assert isinstance(smtp, SmtpEmail) and smtp.timeout == SMTP_TIMEOUT_S
            return smtp

        message_id = await adapter().send("li@example.com", BODY, "points_expiring", VARS)
        with pytest.raises(PermanentProviderError, match="550"):
            await adapter().send("gone@example.com", BODY, "points_expiring", VARS)
        started = time.monotonic()
        with pytest.raises(ProviderError, match="SMTP"):  # bad login: not permanent
            await adapter(password="bad").send("li@example.com", BODY, "points_expiring", VARS)
        assert time.monotonic() - started < 5  # SMTP_TIMEOUT_S, not the 15 s default
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["li@example.com"]
    mail = email.message_from_bytes(envelope.content, policy=policy.default)
    assert mail["Message-ID"] == message_id and mail["To"] == "li@example.com"
    assert mail["Subject"] == "鲜选会员" and mail.get_content().strip() == BODY


@pytest.mark.parametrize(
    ("choice", "missing"),
    [
        ({"push_provider": "jpush"}, "JPUSH_APP_KEY, JPUSH_MASTER_SECRET"),
        (
            {"mini_program_provider": "wechat", "wechat_app_id": "wx1"},
            "WECHAT_APP_SECRET, WECHAT_SUBSCRIBE_TEMPLATES",
        ),
        ({"email_provider": "smtp", "smtp_host": "mail.example"}, "SMTP_FROM"),
    ],
)
def test_a_chosen_provider_without_credentials_stops_the_start(tmp_path, choice, missing):
    with pytest.raises(ConfigError, match=missing):
        adapters_for(base_settings(tmp_path, **choice))


def test_each_channel_gets_its_configured_adapter(tmp_path):
    configured = base_settings(
        tmp_path,
        push_provider="jpush",
        jpush_app_key="k",
        jpush_master_secret="s",
        mini_program_provider="wechat",
        wechat_app_id="wx1",
        wechat_app_secret="s",
        wechat_subscribe_templates=WECHAT_TEMPLATES,
        email_provider="smtp",
        smtp_host="mail.example",
        smtp_from="member@example.com",
    )
    adapters = adapters_for(configured)
    names = {channel: adapter.name for channel, adapter in adapters.items()}
    assert names == {
        Channel.SMS: "local-sink",
        Channel.PUSH: "jpush",
        Channel.MINI_PROGRAM: "wechat-subscribe",
        Channel.EMAIL: "smtp",
    }
    assert adapters_for(configured) is adapters  # built once: the WeChat token is kept
    with pytest.raises(ConfigError, match="SMTP_USERNAME and SMTP_PASSWORD"):
        adapters_for(configured.model_copy(update={"smtp_username": "only-user"}))
