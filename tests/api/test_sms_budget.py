"""The global SMS spend cap: once the hour's or the day's budget of sign-in codes is
spent, otpRequest answers RATE_LIMITED, no code is created and no SMS goes out."""

from __future__ import annotations

import secrets

import pytest

from domain.auth.tables import OtpChallenge
from domain.notifications.tables import Message
from tests.conftest import OTP


def phone() -> str:
    return f"+86133{secrets.randbelow(10**8):08d}"


async def sent_so_far() -> tuple[int, int]:
    return await OtpChallenge.all().count(), await Message.filter(template="otp").count()


@pytest.mark.parametrize(("window", "caps"), [("hour", (2, 0)), ("day", (0, 2))])
async def test_otp_request_stops_when_the_sms_budget_is_spent(
    gql, client, app, monkeypatch, window, caps
):
    rt = app.state.rt
    hour, day = caps
    monkeypatch.setattr(
        rt,
        "settings",
        rt.settings.model_copy(update={"sms_cap_per_hour": hour, "sms_cap_per_day": day}),
    )
    for _ in range(2):
        r = (await gql(OTP, {"phone": phone()}))["data"]["otpRequest"]
        assert r["__typename"] == "OtpRequestSuccess", r
    before = await sent_so_far()

    refused = (await gql(OTP, {"phone": phone()}))["data"]["otpRequest"]

    assert refused["__typename"] == "RateLimitedError"
    assert (
        refused["code"] == "RATE_LIMITED"
        and f"budget of this {window} is spent" in refused["message"]
    )
    assert refused["retryAfterSeconds"] >= 1
    assert await sent_so_far() == before  # no challenge, no message, no SMS
    metrics = (await client.get("/metrics")).text
    assert f'sms_spend_refused_total{{window="{window}"}}' in metrics
    assert f'sms_spend_used{{window="{window}"}} 2.0' in metrics
