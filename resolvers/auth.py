"""Sign-in resolvers."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.auth import credentials, services, sessions
from domain.auth.throttle import AccountKind
from domain.org.services import deactivate_staff
from domain.partners.services import deactivate_partner
from resolvers.common import INT_KEY_MAX, attempt, guarded, parse_key
from schema.auth import types as t
from schema.context import Info


def _pair(pair: sessions.TokenPair) -> t.SignInSuccess:
    return t.SignInSuccess(
        access_token=pair.access_token,
        token_type="Bearer",  # noqa: S106 - the OAuth token type, not a secret
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
    )


async def otp_request(
    info: Info,
    phone: Annotated[str, strawberry.argument(description="Mobile number, +86 optional.")],
):
    ctx = info.context
    return await attempt(
        services.otp_request(ctx.rt, phone, ctx.client_ip),
        lambda sent: t.OtpRequestSuccess(
            expires_at=sent.expires_at, resend_after_seconds=sent.resend_after_s
        ),
    )


async def member_sign_in(
    info: Info,
    phone: Annotated[str, strawberry.argument(description="Mobile number, +86 optional.")],
    code: Annotated[str, strawberry.argument(description="The code from the SMS.")],
    channel: Annotated[
        t.RegistrationChannel,
        strawberry.argument(description="Recorded as the registration channel if new."),
    ] = t.RegistrationChannel.APP,
):
    return await attempt(
        services.member_sign_in(info.context.rt, phone, code, channel.value), _pair
    )


async def staff_sign_in(info: Info, email: str, password: str):
    ctx = info.context
    return await attempt(credentials.staff_sign_in(ctx.rt, email, password, ctx.client_ip), _pair)


async def token_refresh(
    info: Info,
    refresh_token: Annotated[str, strawberry.argument(description="The latest refresh token.")],
):
    return await attempt(sessions.refresh(info.context.rt, refresh_token), _pair)


async def sign_out(
    info: Info,
    refresh_token: Annotated[
        str | None,
        strawberry.argument(
            description="The session to end; by default the caller's own (the session "
            "the access token was issued in)."
        ),
    ] = None,
) -> t.SignOutSuccess:
    ctx = info.context
    return t.SignOutSuccess(signed_out=await sessions.sign_out(ctx.rt, ctx.viewer, refresh_token))


async def sign_in_unlock(
    info: Info,
    kind: Annotated[t.SignInAccountKind, strawberry.argument(description="Staff or partner.")],
    account: Annotated[
        str, strawberry.argument(description="The staff email or the partner client id.")
    ],
) -> t.SignInUnlockSuccess:
    ctx = info.context
    lifted = await credentials.unlock(ctx.rt, ctx.viewer, AccountKind(kind.value), account)
    return t.SignInUnlockSuccess(was_locked=lifted)


async def staff_deactivate(
    info: Info,
    staff_id: Annotated[strawberry.ID, strawberry.argument(description="The staff account id.")],
):
    ctx = info.context

    def call():
        sid = parse_key(staff_id, "staffId", "Not a staff id.", INT_KEY_MAX)  # an INTEGER key
        return deactivate_staff(ctx.rt, ctx.viewer, sid)

    return await guarded(
        call, lambda staff: t.StaffDeactivateSuccess(staff_id=strawberry.ID(str(staff.id)))
    )


async def partner_deactivate(
    info: Info,
    client_id: Annotated[str, strawberry.argument(description="The partner app's client id.")],
):
    ctx = info.context
    return await attempt(
        deactivate_partner(ctx.rt, ctx.viewer, client_id),
        lambda app: t.PartnerDeactivateSuccess(client_id=app.client_id),
    )


def viewer(info: Info) -> t.Viewer:
    v = info.context.viewer
    return t.Viewer(
        kind=t.ViewerKind(v.kind.value),
        role=v.role,
        scopes=sorted(v.scopes),
    )
