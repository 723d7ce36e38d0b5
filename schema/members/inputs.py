"""Member inputs."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from schema.auth.types import RegistrationChannel
from schema.members.types import (
    ConsentPurpose,
    Gender,
    IdentityChannel,
    IncomeBand,
    MemberStatus,
)


@strawberry.input(
    description="How to find a member; give one or more. Tried in the "
    "configured order (MEMBER_LOOKUP_ORDER); the first that matches wins."
)
class MemberRefInput:
    scan_code: str | None = None
    card_number: str | None = None
    phone: str | None = None
    identity_channel: IdentityChannel | None = None
    identity_external_id: str | None = None
    member_id: strawberry.ID | None = strawberry.field(default=None, description="Global id.")
    query: str | None = strawberry.field(
        default=None, description="Whatever the till scanned or typed: code, card or phone."
    )


@strawberry.input(description="Filters of the staff member list (all optional, ANDed).")
class MemberFilterInput:
    phone: str | None = None
    card_number: str | None = None
    tier_code: str | None = None
    store_code: str | None = None
    tag: str | None = None
    registered_from: datetime | None = None
    registered_before: datetime | None = None
    status: MemberStatus | None = strawberry.field(
        default=None, description="Default: every status except MERGED."
    )


@strawberry.input(description="A new member, registered by a partner or staff.")
class MemberRegisterInput:
    phone: str
    channel: RegistrationChannel = RegistrationChannel.STORE
    display_name: str = ""
    gender: Gender = Gender.UNKNOWN
    birthday: date | None = None
    income_band: IncomeBand | None = None
    region_code: str | None = None
    home_store_code: str | None = None


@strawberry.input(description="Profile changes by the member; omitted fields stay as they are.")
class MemberProfileInput:
    display_name: str | None = strawberry.UNSET
    gender: Gender | None = strawberry.UNSET
    birthday: date | None = strawberry.field(
        default=strawberry.UNSET, description="Can be set once; corrections via service."
    )
    income_band: IncomeBand | None = strawberry.field(
        default=strawberry.UNSET, description="null withdraws it."
    )
    region_code: str | None = strawberry.UNSET
    home_store_code: str | None = strawberry.UNSET


@strawberry.input(description="Changes staff may make; omitted fields stay as they are.")
class StaffMemberUpdateInput:
    display_name: str | None = strawberry.UNSET
    home_store_code: str | None = strawberry.UNSET
    birthday: date | None = strawberry.UNSET
    status: MemberStatus | None = strawberry.field(
        default=strawberry.UNSET, description="ACTIVE or FROZEN (admin, service agent)."
    )


@strawberry.input(description="Grant or withdraw one purpose.")
class ConsentInput:
    purpose: ConsentPurpose
    granted: bool
