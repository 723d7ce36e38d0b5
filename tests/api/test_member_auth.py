"""Member sign-in through the API: test number, OTP by SMS, refresh rotation."""

from __future__ import annotations

from domain.auth.tables import OtpChallenge, RefreshToken
from domain.members.tables import Member
from domain.notifications.tables import Message
from tests.conftest import (
    OTP,
    REFRESH,
    SIGN_IN,
    TEST_PHONE,
    request_code,
    sign_in_by_sms,
    sign_in_member,
)

ME = "{ me { id phone displayName registrationChannel } viewer { kind } }"


async def test_test_number_sign_in_me_refresh_and_replay_revokes_family(gql):
    tokens = await sign_in_member(gql)
    assert tokens["tokenType"] == "Bearer" and tokens["expiresIn"] == 600

    me = await gql.as_(tokens["accessToken"])(ME)
    assert me["data"]["me"]["phone"] == TEST_PHONE
    assert me["data"]["viewer"]["kind"] == "MEMBER"

    first = tokens["refreshToken"]
    rotated = (await gql(REFRESH, {"t": first}))["data"]["tokenRefresh"]
    assert rotated["__typename"] == "SignInSuccess"
    assert rotated["refreshToken"] != first
    assert (await gql.as_(rotated["accessToken"])(ME))["data"]["me"]["phone"] == TEST_PHONE

    replay = (await gql(REFRESH, {"t": first}))["data"]["tokenRefresh"]
    assert replay["__typename"] == "RefreshTokenReusedError"
    assert replay["code"] == "REFRESH_TOKEN_REUSED"
    # the reuse revoked the whole family: the newest token no longer works either
    after = (await gql(REFRESH, {"t": rotated["refreshToken"]}))["data"]["tokenRefresh"]
    assert after["__typename"] == "InvalidRefreshTokenError"
    family = first.split(".")[0]
    rows = await RefreshToken.filter(family=family)
    assert len(rows) == 2 and all(r.revoked_at is not None for r in rows)


async def test_sign_in_registers_member_once(gql):
    phone = "+8613911110001"
    before = await Member.filter().count()
    await sign_in_by_sms(gql, phone)
    await sign_in_by_sms(gql, phone)
    assert await Member.filter().count() == before + 1


async def test_otp_goes_through_the_sms_sink_and_signs_in(gql):
    tokens = await sign_in_by_sms(gql, "+8613911110002")
    me = (await gql.as_(tokens["accessToken"])(ME))["data"]["me"]
    assert me["phone"] == "+8613911110002"


async def test_five_wrong_codes_burn_the_challenge(gql, app):
    phone = "+8613911110003"
    right = await request_code(gql, phone)
    wrong = "000000" if right != "000000" else "111111"
    lefts = []
    for _ in range(5):
        r = (await gql(SIGN_IN, {"phone": phone, "code": wrong}))["data"]["memberSignIn"]
        assert r["__typename"] == "InvalidCodeError"
        lefts.append(r["attemptsLeft"])
    assert lefts == [4, 3, 2, 1, 0]
    burned = (await gql(SIGN_IN, {"phone": phone, "code": right}))["data"]["memberSignIn"]
    assert burned["__typename"] == "TooManyAttemptsError"
    assert not await Member.filter(phone_hash=app.state.rt.phone_index(phone)).exists()


async def test_daily_sms_cap_per_phone(gql, settings):
    phone = "+8613911110004"
    for _ in range(settings.otp_max_per_phone_per_day):
        r = (await gql(OTP, {"phone": phone}))["data"]["otpRequest"]
        assert r["__typename"] == "OtpRequestSuccess"
    before = await OtpChallenge.all().count()
    over = (await gql(OTP, {"phone": phone}))["data"]["otpRequest"]
    assert over["__typename"] == "RateLimitedError" and over["retryAfterSeconds"] > 0
    assert await OtpChallenge.all().count() == before  # nothing written, nothing sent


async def test_invalid_phone_is_a_typed_error_and_writes_nothing(gql):
    messages, challenges = await Message.all().count(), await OtpChallenge.all().count()
    for bad in ["12345", "+14155552671", "010-88886666", "", "+86 138 0013 800"]:
        r = (await gql(OTP, {"phone": bad}))["data"]["otpRequest"]
        assert r["__typename"] == "InvalidPhoneError", (bad, r)
        assert r["code"] == "INVALID_PHONE"
    assert await Message.all().count() == messages
    assert await OtpChallenge.all().count() == challenges


async def test_wrong_code_for_test_number_signs_nobody_in(gql):
    before = await RefreshToken.all().count()
    r = (await gql(SIGN_IN, {"phone": TEST_PHONE, "code": "999999"}))["data"]["memberSignIn"]
    assert r["__typename"] == "InvalidCodeError"
    assert await RefreshToken.all().count() == before


async def test_me_needs_a_member(gql):
    r = await gql(ME)
    assert r["data"] is None
    # no token: the caller has to sign in (UNAUTHENTICATED), not "not allowed"
    assert r["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert r["errors"][0]["message"].startswith("Sign in first")


async def test_per_ip_hourly_cap_counts_every_phone(gql, settings):
    before = await OtpChallenge.all().count()
    for i in range(settings.otp_max_per_ip_per_hour):
        r = (await gql(OTP, {"phone": f"+86139222{i:05d}"}))["data"]["otpRequest"]
        assert r["__typename"] == "OtpRequestSuccess"
    over = (await gql(OTP, {"phone": "+8613922299999"}))["data"]["otpRequest"]
    assert over["__typename"] == "RateLimitedError" and over["retryAfterSeconds"] > 3000
    assert await OtpChallenge.all().count() == before + settings.otp_max_per_ip_per_hour


async def test_resend_waits_the_interval(gql, app, monkeypatch):
    rt = app.state.rt
    monkeypatch.setattr(
        rt, "settings", rt.settings.model_copy(update={"otp_resend_interval_s": 60})
    )
    phone = "+8613911110005"
    first = (await gql(OTP, {"phone": phone}))["data"]["otpRequest"]
    assert first == {
        "__typename": "OtpRequestSuccess",
        "expiresAt": first["expiresAt"],
        "resendAfterSeconds": 60,
    }
    count = await OtpChallenge.filter(phone_hash=rt.phone_index(phone)).count()
    again = (await gql(OTP, {"phone": phone}))["data"]["otpRequest"]
    assert again["__typename"] == "RateLimitedError" and 0 < again["retryAfterSeconds"] <= 60
    assert await OtpChallenge.filter(phone_hash=rt.phone_index(phone)).count() == count == 1


async def test_only_mutations_publish_their_events(gql, app, monkeypatch):
    kicks = []
    monkeypatch.setattr(app.state.relay, "kick", lambda: kicks.append(1))
    await gql("{ viewer { kind } }")
    assert kicks == []
    await gql(OTP, {"phone": "+8613911110006"})
    assert kicks == [1]
