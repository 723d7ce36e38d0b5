"""Channel adapters, chosen by configuration. The local sink (default) keeps messages in
the ``messages`` table (and, outside production, in ``var/dev-sink.jsonl``); each
channel can instead speak its provider's protocol: SMS_PROVIDER=tencent (Tencent Cloud
SMS), PUSH_PROVIDER=jpush, MINI_PROGRAM_PROVIDER=wechat (subscription messages),
EMAIL_PROVIDER=smtp. A provider
chosen without its credentials is a start-up error for that channel, never a silent
no-op. Adapters are built once per settings object (the WeChat token lives in one)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from domain import clock
from domain.config import ConfigError, Settings
from domain.notifications.model import Adapter, Channel

log = logging.getLogger("loyalty.notifications")
DEV_SINK_FILE = "dev-sink.jsonl"


def dev_sink_path(settings: Settings) -> Path | None:
    """Where the local sink shows what it would have sent, sign-in codes included:
    ``var/dev-sink.jsonl`` in development and tests, nowhere in production."""
    return None if settings.production else settings.var_dir / DEV_SINK_FILE


class LocalSink:
    """Sends nothing: the (encrypted) message row is the record. Outside production it
    also appends the provider's copy to the dev sink file (one JSON line per message,
    read by developers and tests from any process) and logs it."""

    name = "local-sink"

    def __init__(self, channel: Channel, dev_file: Path | None) -> None:
        self.channel, self.dev_file = channel, dev_file

    async def send(self, recipient: str, body: str, template: str, variables: dict) -> str:
        if self.dev_file is None:
            return "local"
        line = {
            "at": clock.now().isoformat(),
            "channel": self.channel.value,
            "to": recipient,
            "template": template,
            "body": body,
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        self.dev_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dev_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, data)  # one append: lines from several processes never interleave
        finally:
            os.close(fd)
        log.info("local sink (development) %s to %s: %s", self.channel.value, recipient, body)
        return "local"


def _require(choice: str, values: dict[str, object]) -> None:
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ConfigError(f"{choice} needs {', '.join(missing)}")


def _tencent_sms(s: Settings) -> Adapter:
    from domain.notifications.tencent_sms import TencentSms

    _require(
        "SMS_PROVIDER=tencent",
        {
            "TENCENT_SECRET_ID": s.tencent_secret_id,
            "TENCENT_SECRET_KEY": s.tencent_secret_key,
            "TENCENT_SMS_SDK_APP_ID": s.tencent_sms_sdk_app_id,
            "TENCENT_SMS_SIGN_NAME": s.tencent_sms_sign_name,
            "TENCENT_SMS_TEMPLATES": s.tencent_sms_templates,
        },
    )
    return TencentSms(
        secret_id=s.tencent_secret_id,
        secret_key=s.tencent_secret_key,
        sdk_app_id=s.tencent_sms_sdk_app_id,
        sign_name=s.tencent_sms_sign_name,
        templates=s.tencent_sms_templates,
        endpoint=s.tencent_sms_endpoint,
        region=s.tencent_sms_region,
    )


def _jpush(s: Settings) -> Adapter:
    from domain.notifications.jpush import JPush

    _require(
        "PUSH_PROVIDER=jpush",
        {"JPUSH_APP_KEY": s.jpush_app_key, "JPUSH_MASTER_SECRET": s.jpush_master_secret},
    )
    return JPush(
        app_key=s.jpush_app_key,
        master_secret=s.jpush_master_secret,
        endpoint=s.jpush_endpoint,
        apns_production=s.jpush_apns_production,
    )


def _wechat(s: Settings) -> Adapter:
    from domain.notifications.wechat import WeChatSubscribe

    _require(
        "MINI_PROGRAM_PROVIDER=wechat",
        {
            "WECHAT_APP_ID": s.wechat_app_id,
            "WECHAT_APP_SECRET": s.wechat_app_secret,
            "WECHAT_SUBSCRIBE_TEMPLATES": s.wechat_subscribe_templates,
        },
    )
    return WeChatSubscribe(
        app_id=s.wechat_app_id,
        app_secret=s.wechat_app_secret,
        templates=s.wechat_subscribe_templates,
        api_base=s.wechat_api_base,
        state=s.wechat_miniprogram_state,
    )


def _smtp(s: Settings) -> Adapter:
    from domain.notifications.smtp_email import SmtpEmail

    _require("EMAIL_PROVIDER=smtp", {"SMTP_HOST": s.smtp_host, "SMTP_FROM": s.smtp_from})
    if bool(s.smtp_username) != bool(s.smtp_password):
        raise ConfigError("EMAIL_PROVIDER=smtp needs SMTP_USERNAME and SMTP_PASSWORD together")
    return SmtpEmail(
        host=s.smtp_host,
        port=s.smtp_port,
        sender=s.smtp_from,
        username=s.smtp_username,
        password=s.smtp_password,
        security=s.smtp_security,
        timeout=s.smtp_timeout_s,
    )


_built: dict[int, tuple[Settings, dict[Channel, Adapter]]] = {}


def adapters_for(settings: Settings) -> dict[Channel, Adapter]:
    """One adapter per channel (raises ConfigError at start-up when one cannot work)."""
    held = _built.get(id(settings))
    if held is not None and held[0] is settings:
        return held[1]
    dev_file = dev_sink_path(settings)
    adapters: dict[Channel, Adapter] = {c: LocalSink(c, dev_file) for c in Channel}
    if settings.sms_provider == "tencent":
        adapters[Channel.SMS] = _tencent_sms(settings)
    if settings.push_provider == "jpush":
        adapters[Channel.PUSH] = _jpush(settings)
    if settings.mini_program_provider == "wechat":
        adapters[Channel.MINI_PROGRAM] = _wechat(settings)
    if settings.email_provider == "smtp":
        adapters[Channel.EMAIL] = _smtp(settings)
    if len(_built) > 32:  # tests build many settings; a process normally has one
        _built.clear()
    _built[id(settings)] = (settings, adapters)
    return adapters
