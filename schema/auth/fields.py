"""Sign-in mutations and the viewer query."""

from __future__ import annotations

import strawberry

from resolvers import auth as r
from schema.auth import types as t


@strawberry.type
class AuthQuery:
    viewer: t.Viewer = strawberry.field(
        resolver=r.viewer, description="Who the access token says is calling."
    )


@strawberry.type
class AuthMutation:
    otp_request: t.OtpRequestResult = strawberry.mutation(
        resolver=r.otp_request,
        description="Send a sign-in code by SMS. Limits: one per minute and "
        "OTP_MAX_PER_PHONE_PER_DAY per phone, OTP_MAX_PER_IP_PER_HOUR per client address.",
    )
    member_sign_in: t.MemberSignInResult = strawberry.mutation(
        resolver=r.member_sign_in,
        description="Sign a member in with the SMS code; registers them on first sign-in.",
    )
    staff_sign_in: t.StaffSignInResult = strawberry.mutation(
        resolver=r.staff_sign_in, description="Sign staff in with email and password."
    )
    token_refresh: t.TokenRefreshResult = strawberry.mutation(
        resolver=r.token_refresh,
        description="Exchange a refresh token (once) for new tokens. Reuse revokes the session.",
    )
    sign_out: t.SignOutSuccess = strawberry.mutation(
        resolver=r.sign_out, description="Revoke the session of this refresh token."
    )
