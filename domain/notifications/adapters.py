"""Channel adapters, chosen by configuration. The local sink (default) keeps messages in
the ``messages`` table for developers, staff and tests; SMS_PROVIDER=tencent sends
through Tencent Cloud SMS. A provider chosen without its credentials is a start-up
error for that channel, never a silent no-op."""

from __future__ import annotations

from domain.config import ConfigError, Settings
from domain.notifications.model import Adapter, Channel


class LocalSink:
    name = "local-sink"

    async def send(self, recipient: str, body: str, template: str, variables: dict) -> str:
        return "local"  # the message row itself is the delivered copy


def _tencent_sms(s: Settings) -> Adapter:
    from domain.notifications.tencent_sms import TencentSms

    missing = [
        name
        for name, value in (
            ("TENCENT_SECRET_ID", s.tencent_secret_id),
            ("TENCENT_SECRET_KEY", s.tencent_secret_key),
            ("TENCENT_SMS_SDK_APP_ID", s.tencent_sms_sdk_app_id),
            ("TENCENT_SMS_SIGN_NAME", s.tencent_sms_sign_name),
            ("TENCENT_SMS_TEMPLATES", s.tencent_sms_templates),
        )
        if not value
    ]
    if missing:
        raise ConfigError(f"SMS_PROVIDER=tencent needs {', '.join(missing)}")
    return TencentSms(
        secret_id=s.tencent_secret_id,
        secret_key=s.tencent_secret_key,
        sdk_app_id=s.tencent_sms_sdk_app_id,
        sign_name=s.tencent_sms_sign_name,
        templates=s.tencent_sms_templates,
        endpoint=s.tencent_sms_endpoint,
        region=s.tencent_sms_region,
    )


def adapters_for(settings: Settings) -> dict[Channel, Adapter]:
    """One adapter per channel (raises ConfigError at start-up when one cannot work)."""
    sink = LocalSink()
    adapters: dict[Channel, Adapter] = dict.fromkeys(Channel, sink)
    if settings.sms_provider == "tencent":
        adapters[Channel.SMS] = _tencent_sms(settings)
    return adapters
