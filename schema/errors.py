"""Expected errors as GraphQL types: every one implements ``UserError``.

``ERROR_TYPES`` maps each ``domain.errors`` class to its schema type; a test checks
that every class of the tree is mapped here or answered by the transport (HTTP 401,
the OAuth token endpoint), so a new domain error cannot reach a client unmapped.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.utils.str_converters import to_camel_case

from domain import errors as e
from domain.members import model as members
from schema.coupons.types import CouponFailure, CouponRefusal

# here, not in schema.members.types (which imports this module): CardNotActiveError uses it
CardStatus = strawberry.enum(members.CardStatus, description="A card number's state.")


@strawberry.interface(description="An expected failure the caller can act on.")
class UserError:
    code: str = strawberry.field(description="Stable machine-readable code, e.g. INVALID_PHONE.")
    message: str = strawberry.field(description="Human-readable explanation (may change).")


@strawberry.type(description="Some input is not valid; `field` names it.")
class InvalidInputError(UserError):
    field: str = strawberry.field(description="The input field at fault (camelCase).")


@strawberry.type(description="The phone number is not a valid mainland China mobile number.")
class InvalidPhoneError(UserError):
    field: str = strawberry.field(description="The input field at fault.")


@strawberry.type(description="Not a member code we issued (mistyped or tampered with).")
class ScanCodeInvalidError(UserError):
    field: str = strawberry.field(description="The input field at fault.")


@strawberry.type(description="A genuine member code past its lifetime: ask for a fresh one.")
class ScanCodeExpiredError(UserError):
    field: str = strawberry.field(description="The input field at fault.")


@strawberry.type(
    description="The order's paidAt is older than ORDER_BACKDATE_MAX_DAYS (default 30 days) "
    "or later than now plus ORDER_CLOCK_SKEW_S (default 300 s); nothing was written. "
    "Post it with a paidAt between `earliest` and `latest`, or not at all."
)
class PaidAtOutOfRangeError(UserError):
    field: str = strawberry.field(description="Always paidAt.")
    earliest: datetime = strawberry.field(description="The oldest paidAt accepted now (UTC).")
    latest: datetime = strawberry.field(description="The latest paidAt accepted now (UTC).")


@strawberry.type(
    description="The member's account is FROZEN: it earns no points, spends none, and "
    "redeems or claims no coupons, whoever asks; nothing was written. Staff unfreeze it."
)
class MemberFrozenError(UserError):
    pass


@strawberry.type(description="The current state of the data does not allow this.")
class ConflictError(UserError):
    pass


@strawberry.type(description="Another member already has this phone number.")
class PhoneTakenError(UserError):
    field: str = strawberry.field(description="The input field at fault.")


@strawberry.type(description="This channel identity is linked to another member: merge them.")
class IdentityTakenError(UserError):
    field: str = strawberry.field(description="The input field at fault.")


@strawberry.type(description="The card was reported lost or replaced.")
class CardNotActiveError(UserError):
    card_status: CardStatus = strawberry.field(description="LOST or REPLACED.")


@strawberry.type(
    description="This idempotency key (order id, refund id, request id) was used for a "
    "different request; nothing was changed."
)
class IdempotencyConflictError(UserError):
    field: str = strawberry.field(description="The input field holding the key.")


@strawberry.type(description="Not enough spendable points (pending points cannot be spent).")
class InsufficientPointsError(UserError):
    needed: int
    available: int


@strawberry.type(description="Out of stock, or the member's limit for this reward is reached.")
class RewardUnavailableError(UserError):
    pass


@strawberry.type(description="This coupon was already redeemed for another order.")
class CouponAlreadyRedeemedError(UserError):
    pass


@strawberry.type(description="The coupon does not apply to this order: every reason is listed.")
class CouponNotApplicableError(UserError):
    coupon_code: str
    reasons: list[CouponFailure]


@strawberry.type(description="The coupon cannot be claimed or issued now; `reason` says why.")
class CouponUnavailableError(UserError):
    reason: CouponRefusal = strawberry.field(
        description="Why (a frozen member claiming gets MemberFrozenError instead)."
    )


@strawberry.type(description="A product of the batch is not valid; nothing was written.")
class ProductRowError(UserError):
    row: int = strawberry.field(description="1-based position in the input list.")
    field: str = strawberry.field(description="The field at fault (camelCase).")


@strawberry.type(description="The object does not exist or is not visible to you.")
class NotFoundError(UserError):
    pass


@strawberry.type(description="You are not allowed to do this.")
class PermissionDeniedError(UserError):
    pass


@strawberry.type(description="Too many requests; try again after `retryAfterSeconds`.")
class RateLimitedError(UserError):
    retry_after_seconds: int = strawberry.field(description="Seconds to wait before retrying.")


@strawberry.type(description="The email or password is not right.")
class InvalidCredentialsError(UserError):
    pass


@strawberry.type(description="The sign-in code is wrong.")
class InvalidCodeError(UserError):
    attempts_left: int = strawberry.field(description="Wrong codes still allowed for this code.")


@strawberry.type(description="No live code for this phone: request a new one.")
class CodeExpiredError(UserError):
    pass


@strawberry.type(description="Too many wrong codes: this code is burned; request a new one.")
class TooManyAttemptsError(UserError):
    pass


@strawberry.type(description="The refresh token is unknown, expired or revoked: sign in again.")
class InvalidRefreshTokenError(UserError):
    pass


@strawberry.type(
    description="The refresh token was already used: a replay. Every token of its session "
    "family is now revoked; sign in again."
)
class RefreshTokenReusedError(UserError):
    pass


@strawberry.type(description="No such feed item (malformed id, unknown product or offer).")
class UnknownFeedItemError(UserError):
    field: str = strawberry.field(description="The input field at fault.")


@strawberry.type(description="No product is filed under this category.")
class UnknownCategoryError(UserError):
    field: str = strawberry.field(description="The input field at fault.")


@strawberry.type(description="More events than FEED_EVENTS_MAX (100) in one call; none recorded.")
class TooManyFeedEventsError(UserError):
    field: str = strawberry.field(description="Always events.")


ERROR_TYPES: dict[type[e.DomainError], type] = {
    e.UnknownFeedItem: UnknownFeedItemError,
    e.UnknownCategory: UnknownCategoryError,
    e.TooManyFeedEvents: TooManyFeedEventsError,
    e.InvalidInput: InvalidInputError,
    e.InvalidPhone: InvalidPhoneError,
    e.InvalidRow: ProductRowError,
    e.ScanCodeInvalid: ScanCodeInvalidError,
    e.ScanCodeExpired: ScanCodeExpiredError,
    e.PaidAtOutOfRange: PaidAtOutOfRangeError,
    e.Conflict: ConflictError,
    e.PhoneTaken: PhoneTakenError,
    e.IdentityTaken: IdentityTakenError,
    e.CardNotActive: CardNotActiveError,
    e.IdempotencyConflict: IdempotencyConflictError,
    e.InsufficientPoints: InsufficientPointsError,
    e.RewardUnavailable: RewardUnavailableError,
    e.CouponAlreadyRedeemed: CouponAlreadyRedeemedError,
    e.CouponNotApplicable: CouponNotApplicableError,
    e.CouponUnavailable: CouponUnavailableError,
    e.MemberFrozen: MemberFrozenError,
    e.NotFound: NotFoundError,
    e.PermissionDenied: PermissionDeniedError,
    e.RateLimited: RateLimitedError,
    e.InvalidCredentials: InvalidCredentialsError,
    e.InvalidCode: InvalidCodeError,
    e.CodeExpired: CodeExpiredError,
    e.TooManyAttempts: TooManyAttemptsError,
    e.InvalidRefreshToken: InvalidRefreshTokenError,
    e.RefreshTokenReused: RefreshTokenReusedError,
}

# Answered outside GraphQL: bases never raised themselves, and transport-level errors.
NOT_GRAPHQL: frozenset[type[e.DomainError]] = frozenset(
    {e.DomainError, e.AuthError, e.InvalidAccessToken, e.InvalidClient, e.InvalidScope}
)

_EXTRA = {
    "field": "field",
    "retry_after_s": "retry_after_seconds",
    "attempts_left": "attempts_left",
    "status": "card_status",
    "row": "row",
    "needed": "needed",
    "available": "available",
    "coupon_code": "coupon_code",
    "reasons": "reasons",
    "reason": "reason",
    "earliest": "earliest",
    "latest": "latest",
}


def _failures(failures: list) -> list[CouponFailure]:
    return [
        CouponFailure(reason=f.reason, message=f.message, conflicting_code=f.conflicting_code)
        for f in failures
    ]


_CONVERT = {"reasons": _failures}


def to_user_error(exc: e.DomainError) -> UserError:
    cls = ERROR_TYPES[type(exc)]
    kwargs = {"code": exc.code, "message": exc.message}
    for name, value in exc.fields.items():
        target = _EXTRA.get(name)
        if target and target in cls.__annotations__:
            # input fields are named as the API names them (a CSV column price_fen: priceFen)
            if target == "field":
                value = to_camel_case(value)
            kwargs[target] = _CONVERT[target](value) if target in _CONVERT else value
    return cls(**kwargs)  # a missing field is a bug in the raise site: let it fail loudly
