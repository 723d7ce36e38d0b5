"""The exception tree of the domain. Every expected failure is one of these.

    DomainError                      code, message, structured fields
    ├── InvalidInput                 bad input that no retry will fix
    │   ├── InvalidPhone
    │   ├── InvalidRow               one row of a batch (row, field)
    │   ├── ScanCodeInvalid          not a code we signed (typo, tampered)
    │   ├── ScanCodeExpired          a real code past its lifetime (a screenshot)
    │   └── PaidAtOutOfRange         an order's paidAt too old or in the future (earliest, latest)
    ├── NotFound
    ├── Conflict                     the state of the data forbids it
    │   ├── PhoneTaken               another member has this phone
    │   ├── IdentityTaken            the channel identity belongs to another member
    │   ├── CardNotActive            the card was reported lost or replaced (status)
    │   ├── IdempotencyConflict      same idempotency key, different request
    │   ├── InsufficientPoints       needed, available
    │   ├── RewardUnavailable        out of stock, or the member's limit is reached
    │   ├── CouponAlreadyRedeemed    the coupon was used for another order
    │   ├── CouponNotApplicable      reasons: every check the order draft fails
    │   ├── CouponUnavailable        reason: cannot be claimed or issued (stock, limit)
    │   └── MemberFrozen             the member is frozen: no earning, spending or coupons
    ├── PermissionDenied             the viewer may not do this
    ├── RateLimited                  retry_after_s
    └── AuthError                    sign-in and token failures
        ├── InvalidCredentials       wrong email/password or unknown account
        ├── InvalidCode              wrong OTP (attempts_left)
        ├── CodeExpired              no live challenge for this phone
        ├── TooManyAttempts          challenge burned after N wrong codes
        ├── InvalidRefreshToken      unknown, expired or revoked
        ├── RefreshTokenReused       replay: the whole family is revoked
        ├── InvalidClient            OAuth client authentication failed
        │   └── InvalidScope         scope asked for is not granted
        └── InvalidAccessToken       bad bearer token: HTTP 401 before GraphQL

The GraphQL layer maps each to a typed ``UserError``; ``tests/api`` checks that
every class here has a mapping, so adding one without a schema type fails CI.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "DOMAIN_ERROR"
    default_message: ClassVar[str] = "The request could not be completed."

    def __init__(self, message: str | None = None, **fields: Any) -> None:
        self.message = message or self.default_message
        self.fields = fields
        super().__init__(self.message)


class InvalidInput(DomainError):
    code = "INVALID_INPUT"
    default_message = "The input is not valid."

    def __init__(self, message: str | None = None, *, field: str = "", **fields: Any) -> None:
        super().__init__(message, field=field, **fields)
        self.field = field


class InvalidPhone(InvalidInput):
    code = "INVALID_PHONE"
    default_message = "Enter a mainland China mobile number, e.g. +86 138 0013 8000."


class InvalidRow(InvalidInput):
    code = "INVALID_ROW"
    default_message = "A row of the batch is not valid; nothing was written."

    def __init__(self, message: str | None = None, *, field: str = "", row: int) -> None:
        super().__init__(message, field=field, row=row)
        self.row = row


class ScanCodeInvalid(InvalidInput):
    code = "SCAN_CODE_INVALID"
    default_message = "This is not a valid member code; ask the member to refresh it."


class ScanCodeExpired(InvalidInput):
    code = "SCAN_CODE_EXPIRED"
    default_message = "This member code has expired; ask the member to refresh it."


class PaidAtOutOfRange(InvalidInput):
    """An order's ``paidAt`` outside the window a partner may post: older than
    ORDER_BACKDATE_MAX_DAYS or later than now plus ORDER_CLOCK_SKEW_S. Nothing is written."""

    code = "PAID_AT_OUT_OF_RANGE"
    default_message = "paidAt is outside the window orders can be posted for."

    def __init__(self, message: str | None = None, *, earliest: datetime, latest: datetime) -> None:
        super().__init__(message, field="paidAt", earliest=earliest, latest=latest)
        self.earliest, self.latest = earliest, latest


class Conflict(DomainError):
    code = "CONFLICT"
    default_message = "The current state does not allow this."


class PhoneTaken(Conflict):
    code = "PHONE_TAKEN"
    default_message = "Another member already has this phone number."


class IdentityTaken(Conflict):
    code = "IDENTITY_TAKEN"
    default_message = "This channel identity is linked to another member."


class CardNotActive(Conflict):
    code = "CARD_NOT_ACTIVE"
    default_message = "This card is not active."

    def __init__(self, message: str | None = None, *, status: str) -> None:
        super().__init__(message, status=status)
        self.status = status


class IdempotencyConflict(Conflict):
    code = "IDEMPOTENCY_CONFLICT"
    default_message = "This id was already used for a different request; nothing was changed."


class InsufficientPoints(Conflict):
    code = "INSUFFICIENT_POINTS"
    default_message = "Not enough points available."

    def __init__(self, message: str | None = None, *, needed: int, available: int) -> None:
        super().__init__(message, needed=needed, available=available)
        self.needed, self.available = needed, available


class RewardUnavailable(Conflict):
    code = "REWARD_UNAVAILABLE"
    default_message = "This reward cannot be redeemed now."


class CouponAlreadyRedeemed(Conflict):
    code = "COUPON_ALREADY_REDEEMED"
    default_message = "This coupon was already redeemed for another order."


class CouponNotApplicable(Conflict):
    code = "COUPON_NOT_APPLICABLE"
    default_message = "The coupon does not apply to this order."

    def __init__(self, message: str | None = None, *, code_: str, reasons: list) -> None:
        super().__init__(message, coupon_code=code_, reasons=reasons)
        self.coupon_code, self.reasons = code_, reasons


class CouponUnavailable(Conflict):
    code = "COUPON_UNAVAILABLE"
    default_message = "This coupon cannot be had now."

    def __init__(self, message: str | None = None, *, reason: str) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


class MemberFrozen(Conflict):
    """The member's account is FROZEN: it earns no points, spends none and uses or claims no
    coupons, whoever asks (a till, the app, staff issuing); nothing is written."""

    code = "MEMBER_FROZEN"
    default_message = "This member account is frozen: no points or coupons can be used or earned."


class NotFound(DomainError):
    code = "NOT_FOUND"
    default_message = "Not found."


class PermissionDenied(DomainError):
    code = "PERMISSION_DENIED"
    default_message = "You are not allowed to do this."


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    default_message = "Too many requests; try again later."

    def __init__(self, message: str | None = None, *, retry_after_s: int) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class AuthError(DomainError):
    code = "AUTH_ERROR"


class InvalidCredentials(AuthError):
    code = "INVALID_CREDENTIALS"
    default_message = "The email or password is not right."


class InvalidCode(AuthError):
    code = "INVALID_CODE"
    default_message = "The code is not right."

    def __init__(self, message: str | None = None, *, attempts_left: int) -> None:
        super().__init__(message, attempts_left=attempts_left)
        self.attempts_left = attempts_left


class CodeExpired(AuthError):
    code = "CODE_EXPIRED"
    default_message = "The code has expired; request a new one."


class TooManyAttempts(AuthError):
    code = "TOO_MANY_ATTEMPTS"
    default_message = "Too many wrong codes; request a new one."


class InvalidRefreshToken(AuthError):
    code = "INVALID_REFRESH_TOKEN"
    default_message = "The session has ended; sign in again."


class RefreshTokenReused(InvalidRefreshToken):
    code = "REFRESH_TOKEN_REUSED"
    default_message = "This refresh token was already used; every session of it is revoked."


class InvalidClient(AuthError):
    code = "INVALID_CLIENT"
    default_message = "Client authentication failed."


class InvalidScope(InvalidClient):
    code = "INVALID_SCOPE"
    default_message = "The requested scope is not granted to this client."


# --- feeds ---------------------------------------------------------------------------------


class UnknownFeedItem(NotFound):
    code = "UNKNOWN_FEED_ITEM"
    default_message = "No such feed item; nothing was changed."


class UnknownCategory(NotFound):
    code = "UNKNOWN_CATEGORY"
    default_message = "No product is filed under this category; nothing was changed."


class TooManyFeedEvents(InvalidInput):
    code = "TOO_MANY_FEED_EVENTS"
    default_message = "Too many events in one call; nothing was recorded."


def all_error_classes() -> list[type[DomainError]]:
    """Every concrete class of the tree, for the mapping test."""
    found: list[type[DomainError]] = []
    todo: list[type[DomainError]] = [DomainError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


class InvalidAccessToken(AuthError):
    """Transport-level: answered as HTTP 401 before GraphQL runs, never as a UserError."""

    code = "INVALID_TOKEN"
    default_message = "The access token is not valid."
