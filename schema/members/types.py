"""Member types: the member, their card, identities, consents, the staff 360 view."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.auth import policy
from domain.members import model as m
from domain.members.services import MemberView
from schema.auth.types import RegistrationChannel
from schema.coupons.types import ClaimableCoupon, CouponConnection, CouponStatus
from schema.errors import (
    CardNotActiveError,
    CardStatus,
    ConflictError,
    IdentityTakenError,
    InvalidInputError,
    InvalidPhoneError,
    NotFoundError,
    PermissionDeniedError,
    PhoneTakenError,
    ScanCodeExpiredError,
    ScanCodeInvalidError,
)
from schema.feeds import types as feeds
from schema.feeds.signal_types import FeedSettings
from schema.hooks import Hook
from schema.members.org_types import Region, Store
from schema.orders.types import Order, OrderConnection
from schema.permissions import Allow
from schema.points.types import Points
from schema.tiers.types import Tier, TierHistoryEntry, TierProgress

if TYPE_CHECKING:
    from schema.context import Info

# The domain's enums, exposed as they are (one definition, no mapping to drift).
Gender = strawberry.enum(m.Gender, description="Gender as the member declared it.")
IncomeBand = strawberry.enum(
    m.IncomeBand, description="Declared monthly income band (yuan); optional, encrypted at rest."
)
MemberStatus = strawberry.enum(m.Status, name="MemberStatus", description="Lifecycle of a member.")
IdentityChannel = strawberry.enum(
    m.IdentityChannel, description="A channel account a member can link."
)
ConsentPurpose = strawberry.enum(m.ConsentPurpose, description="What a consent is for.")


# Implemented by the resolvers layer, which imports these types (schema/hooks.py).
member_nodes: Hook[[Info, Iterable[str]], Awaitable[list[Member | None]]] = Hook("member_nodes")
identity_nodes: Hook[[Info, Iterable[str]], Awaitable[list[MemberIdentity | None]]] = Hook(
    "identity_nodes"
)
merge_nodes: Hook[[Info, Iterable[str]], Awaitable[list[MemberMerge | None]]] = Hook("merge_nodes")
card_scan_code: Hook[[Info, Card], ScanCode | None] = Hook("card_scan_code")
card_of: Hook[[Info, MemberView], Awaitable[Card | None]] = Hook("card_of")
identities_of: Hook[[Info, MemberView], Awaitable[list[MemberIdentity]]] = Hook("identities_of")
tags_of: Hook[[Info, MemberView], Awaitable[list[str]]] = Hook("tags_of")
consents_of: Hook[[Info, MemberView], Awaitable[list[Consent]]] = Hook("consents_of")
tier_of: Hook[[Info, MemberView], Awaitable[Tier | None]] = Hook("tier_of")
progress_of: Hook[[Info, MemberView], Awaitable[TierProgress | None]] = Hook("progress_of")
history_of: Hook[[Info, MemberView], Awaitable[list[TierHistoryEntry]]] = Hook("history_of")
store_of: Hook[[Info, MemberView], Awaitable[Store | None]] = Hook("store_of")
region_of: Hook[[Info, MemberView], Awaitable[Region | None]] = Hook("region_of")
points_of: Hook[[Info, MemberView], Awaitable[Points]] = Hook("points_of")
orders_of: Hook[[Info, MemberView, int | None, str | None], Awaitable[OrderConnection]] = Hook(
    "orders_of"
)
coupons_of: Hook[
    [Info, MemberView, CouponStatus | None, int | None, str | None], Awaitable[CouponConnection]
] = Hook("coupons_of")
claimable_of: Hook[[Info, MemberView], Awaitable[list[ClaimableCoupon]]] = Hook("claimable_of")
feed_settings_of: Hook[[Info, MemberView], Awaitable[FeedSettings]] = Hook("feed_settings_of")


@strawberry.enum(description="Personal data that staff see masked unless revealed.")
class PersonalField(Enum):
    PHONE = "phone"
    BIRTHDAY = "birthday"
    INCOME_BAND = "income_band"


@strawberry.type(description="A code to show at the till; it stops working at `expiresAt`.")
class ScanCode:
    code: str = strawberry.field(description="36 digits, for a QR code or barcode.")
    expires_at: datetime


@strawberry.type(description="The member's one card.")
class Card:
    number: str = strawberry.field(description="16 digits, the last a Luhn check digit.")
    status: CardStatus = strawberry.field(description="ACTIVE or LOST.")
    issued_at: datetime
    member_id: strawberry.Private[int]

    @strawberry.field(
        description="A fresh short-lived code for the till (null unless you are the member)."
    )
    def scan_code(self, info: strawberry.Info) -> ScanCode | None:
        return card_scan_code(info, self)


@strawberry.type(description="A channel account linked to the member.")
class MemberIdentity(relay.Node):
    id: relay.NodeID[int]
    channel: IdentityChannel
    external_id: str
    linked_at: datetime

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[MemberIdentity | None]:
        return await identity_nodes(info, node_ids)


@strawberry.type(description="The member's current choice for one purpose.")
class Consent:
    purpose: ConsentPurpose
    granted: bool
    policy_version: str = strawberry.field(description="Policy text version agreed to.")
    recorded_at: datetime | None = strawberry.field(description="Null: never asked.")


# Who may read a member's points, coupons and orders (the member row is scoped already).
LOYALTY_READERS = Allow(policy.READ_LOYALTY)
ORDER_READERS = Allow(policy.READ_ORDERS)


@strawberry.type(
    description="A member of the loyalty programme (one person, one card). Fields that take "
    "arguments or need a right (points, orders, coupons, claimableCoupons) are null with an "
    "error on their path when they fail, so a mutation answering a member still reports its "
    "write."
)
class Member(relay.Node):
    id: relay.NodeID[int]
    display_name: str = strawberry.field(description="Name shown in the app.")
    phone: str = strawberry.field(
        description="E.164 phone for the member themself; masked (138****5678) for everyone "
        "else (staff: memberRevealPersonalData, audited)."
    )
    gender: Gender
    birthday: date | None = strawberry.field(
        description="The member themself only; staff see null (reveal it, audited)."
    )
    income_band: IncomeBand | None = strawberry.field(
        description="Declared income band; the member themself only."
    )
    registration_channel: RegistrationChannel = strawberry.field(
        description="Where the member registered."
    )
    status: MemberStatus
    member_since: datetime = strawberry.field(description="When the member registered (UTC).")
    view: strawberry.Private[MemberView]

    @strawberry.field(description="The member's card (null until issued).")
    async def card(self, info: strawberry.Info) -> Card | None:
        return await card_of(info, self.view)

    @strawberry.field(description="Linked channel accounts.")
    async def identities(self, info: strawberry.Info) -> list[MemberIdentity]:
        return await identities_of(info, self.view)

    @strawberry.field(description="Tags, e.g. `new` for members who have not bought yet.")
    async def tags(self, info: strawberry.Info) -> list[str]:
        return await tags_of(info, self.view)

    @strawberry.field(description="Consent per purpose.")
    async def consents(self, info: strawberry.Info) -> list[Consent]:
        return await consents_of(info, self.view)

    @strawberry.field(description="Current tier (null: not yet placed).")
    async def tier(self, info: strawberry.Info) -> Tier | None:
        return await tier_of(info, self.view)

    @strawberry.field(description="Where the member stands on the ladder, and what is next.")
    async def tier_progress(self, info: strawberry.Info) -> TierProgress | None:
        return await progress_of(info, self.view)

    @strawberry.field(description="Every tier change, newest first, with its reason.")
    async def tier_history(self, info: strawberry.Info) -> list[TierHistoryEntry]:
        return await history_of(info, self.view)

    @strawberry.field(description="Home store, which decides which staff can see the member.")
    async def home_store(self, info: strawberry.Info) -> Store | None:
        return await store_of(info, self.view)

    @strawberry.field(description="Region the member lives in.")
    async def region(self, info: strawberry.Info) -> Region | None:
        return await region_of(info, self.view)

    @strawberry.field(
        description="Points: balance, pending, expiring, history (members, staff in scope, "
        "partners with loyalty:read).",
        permission_classes=[LOYALTY_READERS],
    )
    async def points(self, info: strawberry.Info) -> Points | None:
        return await points_of(info, self.view)

    @strawberry.field(
        description="Orders, newest first: by paidAt, then the later posted (members, staff "
        "in scope, partners with orders:read).",
        permission_classes=[ORDER_READERS],
    )
    async def orders(
        self, info: strawberry.Info, first: int | None = 20, after: str | None = None
    ) -> OrderConnection | None:
        return await orders_of(info, self.view, first, after)

    @strawberry.field(
        description="Coupons, newest first; ACTIVE: usable now.",
        permission_classes=[LOYALTY_READERS],
    )
    async def coupons(
        self,
        info: strawberry.Info,
        status: CouponStatus | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> CouponConnection | None:
        return await coupons_of(info, self.view, status, first, after)

    @strawberry.field(
        description="Coupons this member can claim now.", permission_classes=[LOYALTY_READERS]
    )
    async def claimable_coupons(self, info: strawberry.Info) -> list[ClaimableCoupon] | None:
        return await claimable_of(info, self.view)

    @strawberry.field(
        description="The member's feed, ranked and explained: product suggestions, coupons "
        "to claim, today's campaign, points about to expire; 1-100 per page (`first`). "
        "The member themself, or staff in scope (audited; they also see score parts).",
        permission_classes=[Allow(policy.READ_FEED)],
    )
    async def feed(
        self, info: strawberry.Info, first: int | None = 20, after: str | None = None
    ) -> feeds.FeedItemConnection | None:
        return await feeds.feed_of(info, self.view, first, after)

    @strawberry.field(
        description="Your feed settings: personalisation, muted categories, dismissed items "
        "(the member only).",
        permission_classes=[Allow(policy.FEED_SIGNALS)],
    )
    async def feed_settings(self, info: strawberry.Info) -> FeedSettings | None:
        return await feed_settings_of(info, self.view)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Member | None]:
        return await member_nodes(info, node_ids)


@strawberry.type(description="A page of members.")
class MemberConnection(relay.Connection[Member]):
    pass


@strawberry.type(description="How many rows of one area a merge moved.")
class MovedCount:
    area: str
    count: int


@strawberry.type(
    description="Points a merge moved to the survivor (a TRANSFER_OUT / TRANSFER_IN pair of "
    "ledger entries); an unmerge moves them back."
)
class MovedPoints:
    balance: int = strawberry.field(description="Spendable points moved (negative: overdraft).")
    pending: int = strawberry.field(description="Pending points moved (not yet spendable).")
    debt: int = strawberry.field(description="Debt moved, settled from future credits.")
    total: int = strawberry.field(description="balance + pending: the amount transferred.")
    lots: int = strawberry.field(description="Lots moved; each keeps its own expiry.")


@strawberry.type(description="Coupons a merge moved to the survivor; an unmerge moves them back.")
class MovedCoupons:
    count: int
    ids: list[strawberry.ID] = strawberry.field(description="Global ids of the coupons.")
    redemptions: int = strawberry.field(description="Redemptions of them that moved along.")


@strawberry.type(description="A merge of two records of one person.")
class MemberMerge(relay.Node):
    id: relay.NodeID[int]
    survivor_id: strawberry.ID = strawberry.field(description="Global id of the survivor.")
    absorbed_id: strawberry.ID = strawberry.field(description="Global id of the absorbed.")
    reason: str
    moved: list[MovedCount]
    points_moved: MovedPoints
    coupons_moved: MovedCoupons
    created_at: datetime
    undone_at: datetime | None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[MemberMerge | None]:
        return await merge_nodes(info, node_ids)


@strawberry.type(
    description="Staff customer-360 view of one member (points and coupons through "
    "`member`; tickets join when that area lands)."
)
class Customer360:
    member: Member
    recent_orders: list[Order] = strawberry.field(
        description="Newest 10 orders, in the order of Member.orders (paidAt, then id)."
    )
    merges: list[MemberMerge] = strawberry.field(description="Merges into this member.")


@strawberry.type(description="Unmasked personal data; this read is in the audit log.")
class RevealedPersonalData:
    member_id: strawberry.ID
    phone: str | None
    birthday: date | None
    income_band: IncomeBand | None


@strawberry.type(description="The member was registered (or, for a partner's retry, found).")
class MemberRegisterSuccess:
    member: Member
    created: bool = strawberry.field(
        description="False when this is a retry of your own earlier registration."
    )


@strawberry.type(description="The identity is unlinked.")
class IdentityUnlinkSuccess:
    unlinked: bool


@strawberry.type(description="The consents now in force.")
class ConsentUpdateSuccess:
    consents: list[Consent]


_LOOKUP_ERRORS = (
    InvalidPhoneError
    | InvalidInputError
    | NotFoundError
    | ScanCodeInvalidError
    | ScanCodeExpiredError
    | CardNotActiveError
)
MemberLookupResult = Annotated[Member | _LOOKUP_ERRORS, strawberry.union("MemberLookupResult")]
MemberRegisterResult = Annotated[
    MemberRegisterSuccess
    | InvalidPhoneError
    | InvalidInputError
    | NotFoundError
    | PhoneTakenError
    | PermissionDeniedError,
    strawberry.union("MemberRegisterResult"),
]
MemberUpdateResult = Annotated[
    Member | InvalidInputError | NotFoundError | PermissionDeniedError,
    strawberry.union("MemberUpdateResult"),
]
RevealResult = Annotated[
    RevealedPersonalData | InvalidInputError | NotFoundError | PermissionDeniedError,
    strawberry.union("RevealResult"),
]
CardResult = Annotated[
    Card | InvalidInputError | NotFoundError | PermissionDeniedError,
    strawberry.union("CardResult"),
]
IdentityLinkResult = Annotated[
    MemberIdentity | InvalidInputError | NotFoundError | IdentityTakenError,
    strawberry.union("IdentityLinkResult"),
]
IdentityUnlinkResult = Annotated[
    IdentityUnlinkSuccess | InvalidInputError | NotFoundError,
    strawberry.union("IdentityUnlinkResult"),
]
ConsentUpdateResult = Annotated[
    ConsentUpdateSuccess | InvalidInputError,
    strawberry.union("ConsentUpdateResult"),
]
MergeResult = Annotated[
    MemberMerge | InvalidInputError | NotFoundError | PermissionDeniedError | ConflictError,
    strawberry.union("MergeResult"),
]
