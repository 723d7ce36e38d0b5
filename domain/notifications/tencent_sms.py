"""Tencent Cloud SMS (API 3.0, ``SendSms`` 2021-01-11) with TC3-HMAC-SHA256 signing.

Mainland SMS must use templates approved by the provider: each of our templates maps
to a provider template id and the order of its parameters (TENCENT_SMS_TEMPLATES).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx

from domain import clock
from domain.notifications.model import ProviderError

SERVICE, ACTION, VERSION = "sms", "SendSms", "2021-01-11"
SIGNED_HEADERS = "content-type;host;x-tc-action"
CONTENT_TYPE = "application/json; charset=utf-8"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sign(secret_id: str, secret_key: str, host: str, payload: str, timestamp: int) -> str:
    """The Authorization header of a TC3-HMAC-SHA256 request."""
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{CONTENT_TYPE}\nhost:{host}\nx-tc-action:{ACTION.lower()}\n",
            SIGNED_HEADERS,
            hashlib.sha256(payload.encode()).hexdigest(),
        ]
    )
    scope = f"{day}/{SERVICE}/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), day), SERVICE), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
    )


class TencentSms:
    name = "tencent-sms"

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        templates: dict[str, dict],
        endpoint: str,
        region: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.secret_id, self.secret_key = secret_id, secret_key
        self.sdk_app_id, self.sign_name, self.templates = sdk_app_id, sign_name, templates
        self.endpoint, self.region, self.transport = endpoint.rstrip("/"), region, transport

    async def send(self, recipient: str, body: str, template: str, variables: dict) -> str:
        spec = self.templates.get(template)
        if spec is None:
            raise ProviderError(f"no Tencent template configured for {template!r}")
        payload = json.dumps(
            {
                "PhoneNumberSet": [recipient],
                "SmsSdkAppId": self.sdk_app_id,
                "SignName": self.sign_name,
                "TemplateId": str(spec["id"]),
                "TemplateParamSet": [str(variables.get(p, "")) for p in spec.get("params", [])],
            },
            ensure_ascii=False,
        )
        host = httpx.URL(self.endpoint).host
        now = int(clock.now().timestamp())
        headers = {
            "Authorization": sign(self.secret_id, self.secret_key, host, payload, now),
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": ACTION,
            "X-TC-Timestamp": str(now),
            "X-TC-Version": VERSION,
            "X-TC-Region": self.region,
        }
        async with httpx.AsyncClient(transport=self.transport, timeout=10) as client:
            response = await client.post(self.endpoint, content=payload.encode(), headers=headers)
        data = response.json().get("Response", {})
        if "Error" in data:
            raise ProviderError(f"{data['Error'].get('Code')}: {data['Error'].get('Message')}")
        status = (data.get("SendStatusSet") or [{}])[0]
        if status.get("Code") != "Ok":
            raise ProviderError(f"{status.get('Code')}: {status.get('Message')}")
        return str(status.get("SerialNo", data.get("RequestId", "")))
