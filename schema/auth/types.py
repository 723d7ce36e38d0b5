"""Types of sign-in and of the viewer."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from domain.auth.model import Role
from domain.members.model import Channel
from schema.errors import (
    CodeExpiredError,
    ConflictError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidInputError,
    InvalidPhoneError,
    InvalidRefreshTokenError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RefreshTokenReusedError,
    TooManyAttemptsError,
)

StaffRole = strawberry.enum(Role, name="StaffRole", description="A staff account's role.")
RegistrationChannel = strawberry.enum(
    Channel, name="RegistrationChannel", description="How a member first reached us."
)


@strawberry.enum(description="Who is calling.")
class ViewerKind(Enum):
    ANONYMOUS = "anonymous"
    MEMBER = "member"
    STAFF = "staff"
    PARTNER = "partner"


@strawberry.type(description="The caller of this request, as the access token says.")
class Viewer:
    kind: ViewerKind = strawberry.field(description="Member, staff, partner or anonymous.")
    role: StaffRole | None = strawberry.field(description="Staff role, e.g. STORE_STAFF.")
    scopes: list[str] = strawberry.field(description="Partner scopes granted to the token.")


@strawberry.type(description="A code was sent by SMS (or, for a test number, not needed).")
class OtpRequestSuccess:
    expires_at: datetime = strawberry.field(description="When the code stops working (UTC).")
    resend_after_seconds: int = strawberry.field(description="Wait this long before resending.")


@strawberry.type(description="Signed in: a short-lived access token and a rotating refresh token.")
class SignInSuccess:
    access_token: str = strawberry.field(description="Bearer JWT for the Authorization header.")
    token_type: str = strawberry.field(description="Always `Bearer`.")
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")
    refresh_token: str = strawberry.field(
        description="Use once with tokenRefresh; a second use revokes the session."
    )


@strawberry.type(
    description="The session is ended: its refresh tokens and every access token issued in "
    "it stop working at once."
)
class SignOutSuccess:
    signed_out: bool = strawberry.field(description="False when no session was named.")


@strawberry.enum(description="Whose secret a sign-in lockout counts.")
class SignInAccountKind(Enum):
    STAFF = "staff"
    PARTNER = "partner"


@strawberry.type(description="The account's sign-in lockout and failure count are cleared.")
class SignInUnlockSuccess:
    was_locked: bool = strawberry.field(description="False when the account was not locked.")


@strawberry.type(
    description="The staff account is inactive: it cannot sign in, and its sessions and "
    "access tokens are revoked."
)
class StaffDeactivateSuccess:
    staff_id: strawberry.ID = strawberry.field(description="The deactivated account.")


@strawberry.type(
    description="The partner app is inactive: its client credentials and access tokens no "
    "longer work."
)
class PartnerDeactivateSuccess:
    client_id: str = strawberry.field(description="The deactivated app.")


OtpRequestResult = Annotated[
    OtpRequestSuccess | InvalidPhoneError | RateLimitedError,
    strawberry.union("OtpRequestResult"),
]
MemberSignInResult = Annotated[
    SignInSuccess
    | InvalidPhoneError
    | InvalidCodeError
    | CodeExpiredError
    | TooManyAttemptsError
    | PermissionDeniedError,
    strawberry.union("MemberSignInResult"),
]
StaffSignInResult = Annotated[
    SignInSuccess | InvalidCredentialsError | RateLimitedError,
    strawberry.union("StaffSignInResult"),
]
TokenRefreshResult = Annotated[
    SignInSuccess | InvalidRefreshTokenError | RefreshTokenReusedError,
    strawberry.union("TokenRefreshResult"),
]
StaffDeactivateResult = Annotated[
    StaffDeactivateSuccess | NotFoundError | InvalidInputError | ConflictError,
    strawberry.union("StaffDeactivateResult"),
]
PartnerDeactivateResult = Annotated[
    PartnerDeactivateSuccess | NotFoundError,
    strawberry.union("PartnerDeactivateResult"),
]
