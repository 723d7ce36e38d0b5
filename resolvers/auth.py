"""Sign-in resolvers."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.auth import services
from resolvers.common import attempt
from schema.auth import types as t
from schema.context import Info


def _pair(pair: services.TokenPair) -> t.SignInSuccess:
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
    return await attempt(services.staff_sign_in(info.context.rt, email, password), _pair)


async def token_refresh(
    info: Info,
    refresh_token: Annotated[str, strawberry.argument(description="The latest refresh token.")],
):
    return await attempt(services.refresh(info.context.rt, refresh_token), _pair)


async def sign_out(info: Info, refresh_token: str) -> t.SignOutSuccess:
    return t.SignOutSuccess(signed_out=await services.sign_out(info.context.rt, refresh_token))


def viewer(info: Info) -> t.Viewer:
    v = info.context.viewer
    return t.Viewer(
        kind=t.ViewerKind(v.kind.value),
        role=v.role.value if v.role else None,
        scopes=sorted(v.scopes),
    )
