"""Member queries."""

from __future__ import annotations

import strawberry

from resolvers import members as r
from schema.members import types as t
from schema.permissions import IsMember, PartnerScope


@strawberry.type
class MemberQuery:
    me: t.Member = strawberry.field(
        resolver=r.me, permission_classes=[IsMember], description="The signed-in member."
    )
    member_lookup: t.MemberLookupResult = strawberry.field(
        resolver=r.member_lookup,
        permission_classes=[PartnerScope("members:read")],
        description="Find a member by phone (partner scope members:read). Phone comes masked.",
    )
