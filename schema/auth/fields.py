"""Sign-in mutations and the viewer query."""

from __future__ import annotations

import strawberry

from domain.auth import policy
from resolvers import auth as r
from schema.auth import types as t
from schema.permissions import Allow


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
        resolver=r.staff_sign_in,
        description="Sign staff in with email and password. Failures are throttled per "
        "account and per client address (RateLimitedError with retryAfterSeconds; "
        "SIGNIN_* settings), and an account locks after SIGNIN_LOCKOUT_ATTEMPTS failures.",
    )
    token_refresh: t.TokenRefreshResult = strawberry.mutation(
        resolver=r.token_refresh,
        description="Exchange a refresh token (once) for new tokens. Reuse revokes the session.",
    )
    sign_out: t.SignOutSuccess = strawberry.mutation(
        resolver=r.sign_out,
        description="End a session (the caller's own, or that of a refresh token): its "
        "refresh tokens and the access tokens issued in it stop working at once.",
    )
    sign_in_unlock: t.SignInUnlockSuccess = strawberry.mutation(
        resolver=r.sign_in_unlock,
        permission_classes=[Allow(policy.MANAGE_ACCESS)],
        description="Lift the sign-in lockout of a staff account or a partner app (audited).",
    )
    staff_deactivate: t.StaffDeactivateResult = strawberry.mutation(
        resolver=r.staff_deactivate,
        permission_classes=[Allow(policy.MANAGE_ACCESS)],
        description="Deactivate a staff account; it is signed out everywhere at once (audited). "
        "ConflictError for your own account and for the last active admin.",
    )
    partner_deactivate: t.PartnerDeactivateResult = strawberry.mutation(
        resolver=r.partner_deactivate,
        permission_classes=[Allow(policy.MANAGE_ACCESS)],
        description="Deactivate a partner app; its tokens stop working at once (audited).",
    )
