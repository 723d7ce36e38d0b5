"""The Tencent Cloud SMS adapter against a local fake of the API that checks the
TC3-HMAC-SHA256 signature the way the provider documents it."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx
import pytest

from domain.config import ConfigError
from domain.notifications.adapters import adapters_for
from domain.notifications.model import Channel
from domain.notifications.tencent_sms import ProviderError, TencentSms
from tests.conftest import base_settings

SECRET_ID, SECRET_KEY = "AKIDtest", "s3cr3t-key"
TEMPLATES = {"otp": {"id": "1849571", "params": ["code", "minutes"]}}


def expected_authorization(request: httpx.Request) -> str:
    """Recomputed from the request as Tencent's documentation describes it."""
    ts = int(request.headers["X-TC-Timestamp"])
    day = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")
    body_hash = hashlib.sha256(request.content).hexdigest()
    canonical = (
        f"POST\n/\n\ncontent-type:{request.headers['Content-Type']}\n"
        f"host:{request.url.host}\nx-tc-action:sendsms\n\n"
        f"content-type;host;x-tc-action\n{body_hash}"
    )
    scope = f"{day}/sms/tc3_request"
    string_to_sign = (
        f"TC3-HMAC-SHA256\n{ts}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )

    def h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = h(h(h(("TC3" + SECRET_KEY).encode(), day), "sms"), "tc3_request")
    sig = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{scope}, "
        f"SignedHeaders=content-type;host;x-tc-action, Signature={sig}"
    )


def fake_api(received: list) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        received.append(request)
        if request.headers["Authorization"] != expected_authorization(request):
            return httpx.Response(
                200,
                json={
                    "Response": {
                        "Error": {"Code": "AuthFailure.SignatureFailure", "Message": "signature"}
                    }
                },
            )
        body = json.loads(request.content)
        return httpx.Response(
            200,
            json={
                "Response": {
                    "SendStatusSet": [
                        {
                            "SerialNo": "2645:1",
                            "PhoneNumber": body["PhoneNumberSet"][0],
                            "Code": "Ok",
                        }
                    ],
                    "RequestId": "r-1",
                }
            },
        )

    return httpx.MockTransport(handle)


def adapter(received: list, secret_key: str = SECRET_KEY) -> TencentSms:
    return TencentSms(
        secret_id=SECRET_ID,
        secret_key=secret_key,
        sdk_app_id="1400000001",
        sign_name="鲜选会员",
        templates=TEMPLATES,
        endpoint="https://sms.tencentcloudapi.com",
        region="ap-guangzhou",
        transport=fake_api(received),
    )


async def test_sends_a_signed_template_message():
    received: list[httpx.Request] = []
    serial = await adapter(received).send(
        "+8613800138000", "【鲜选会员】验证码 123456…", "otp", {"code": "123456", "minutes": "5"}
    )
    assert serial == "2645:1"
    (request,) = received
    assert request.headers["X-TC-Action"] == "SendSms" and request.headers["X-TC-Version"] == (
        "2021-01-11"
    )
    assert json.loads(request.content) == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": "1400000001",
        "SignName": "鲜选会员",
        "TemplateId": "1849571",
        "TemplateParamSet": ["123456", "5"],
    }


async def test_a_refusal_or_unknown_template_raises_for_a_retry():
    with pytest.raises(ProviderError, match="SignatureFailure"):
        await adapter([], secret_key="wrong").send("+8613800138000", "x", "otp", {"code": "1"})
    with pytest.raises(ProviderError, match="no Tencent template"):
        await adapter([]).send("+8613800138000", "x", "tier_up", {})


def test_missing_credentials_are_a_start_up_error(tmp_path):
    with pytest.raises(ConfigError, match="TENCENT_SECRET_ID, TENCENT_SECRET_KEY"):
        adapters_for(base_settings(tmp_path, sms_provider="tencent"))
    configured = base_settings(
        tmp_path,
        sms_provider="tencent",
        tencent_secret_id="a",
        tencent_secret_key="b",
        tencent_sms_sdk_app_id="1",
        tencent_sms_sign_name="s",
        tencent_sms_templates=TEMPLATES,
    )
    assert adapters_for(configured)[Channel.SMS].name == "tencent-sms"
    assert adapters_for(base_settings(tmp_path))[Channel.SMS].name == "local-sink"
