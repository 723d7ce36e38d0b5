"""Member types."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from schema.auth.types import RegistrationChannel
from schema.errors import InvalidPhoneError, NotFoundError


@strawberry.type(description="A member of the loyalty programme (one person, one card).")
class Member(relay.Node):
    id: relay.NodeID[int]
    display_name: str = strawberry.field(description="Name shown in the app.")
    phone: str = strawberry.field(
        description="E.164 phone for the member themself; masked (138****5678) for others."
    )
    registration_channel: RegistrationChannel = strawberry.field(
        description="Where the member registered."
    )
    status: str = strawberry.field(description="ACTIVE, FROZEN or ERASED.")
    member_since: datetime = strawberry.field(description="When the member registered (UTC).")

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Member | None]:
        from resolvers.members import members_by_ids

        return await members_by_ids(info, [int(i) for i in node_ids])


MemberLookupResult = Annotated[
    Member | InvalidPhoneError | NotFoundError,
    strawberry.union("MemberLookupResult"),
]
