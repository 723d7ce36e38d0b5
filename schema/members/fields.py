"""Member queries and mutations. Who may call a field is declared here; which members
they may reach is decided by the domain (row scope), whatever the field."""

from __future__ import annotations

import strawberry

from domain.auth.model import Role
from resolvers import member_mutations as w
from resolvers import members as r
from schema.members import types as t
from schema.permissions import AnyOf, IsMember, PartnerScope, StaffWith

# Staff who work with individual members (analysts see aggregates only).
MEMBER_STAFF = StaffWith(Role.ADMIN, Role.SERVICE_AGENT, Role.STORE_STAFF, Role.MARKETING_MANAGER)
FRONT_DESK = StaffWith(Role.ADMIN, Role.SERVICE_AGENT, Role.STORE_STAFF)
SERVICE = StaffWith(Role.ADMIN, Role.SERVICE_AGENT)


@strawberry.type
class MemberQuery:
    me: t.Member = strawberry.field(
        resolver=r.me, permission_classes=[IsMember], description="The signed-in member."
    )
    member: t.Member | None = strawberry.field(
        resolver=r.member,
        permission_classes=[MEMBER_STAFF],
        description="A member by global id; null when missing or outside your scope.",
    )
    members: t.MemberConnection = strawberry.field(
        resolver=r.members,
        permission_classes=[MEMBER_STAFF],
        description="Members in your scope, by id, filtered; 1-100 per page (`first`).",
    )
    member_lookup: t.MemberLookupResult = strawberry.field(
        resolver=r.member_lookup,
        permission_classes=[AnyOf(PartnerScope("members:read"), FRONT_DESK)],
        description="Find a member by scan code, card number, phone, channel identity or id "
        "(partner scope members:read, or staff). Phone comes masked.",
    )
    member_by_scan_code: t.MemberLookupResult = strawberry.field(
        resolver=r.member_by_scan_code,
        permission_classes=[PartnerScope("members:read")],
        description="The member whose app shows this code (expired or altered codes fail).",
    )
    customer_360: t.Customer360 | None = strawberry.field(
        resolver=r.customer_360,
        name="customer360",
        permission_classes=[MEMBER_STAFF],
        description="Everything about one member in your scope, for service and stores.",
    )


@strawberry.type
class MemberMutation:
    member_register: t.MemberRegisterResult = strawberry.mutation(
        resolver=w.member_register,
        permission_classes=[AnyOf(PartnerScope("members:write"), FRONT_DESK)],
        description="Register a member with a card and the `new` tag. A partner's retry "
        "returns the member it registered (created: false).",
    )
    member_update: t.MemberUpdateResult = strawberry.mutation(
        resolver=w.member_update,
        permission_classes=[IsMember],
        description="Change your own profile.",
    )
    member_update_by_staff: t.MemberUpdateResult = strawberry.mutation(
        resolver=w.member_update_by_staff,
        permission_classes=[FRONT_DESK],
        description="Staff change a member in their scope (audited); status needs admin or "
        "service agent.",
    )
    member_reveal_personal_data: t.RevealResult = strawberry.mutation(
        resolver=w.member_reveal,
        permission_classes=[SERVICE],
        description="Show unmasked phone / birthday / income band, with a reason. Audited.",
    )
    card_issue: t.CardResult = strawberry.mutation(
        resolver=w.card_issue,
        permission_classes=[AnyOf(IsMember, FRONT_DESK)],
        description="Issue the member's card if they have none; otherwise returns it.",
    )
    card_report_lost: t.CardResult = strawberry.mutation(
        resolver=w.card_report_lost,
        permission_classes=[AnyOf(IsMember, FRONT_DESK)],
        description="Block the card at once (members: omit memberId). Points stay.",
    )
    card_replace: t.CardResult = strawberry.mutation(
        resolver=w.card_replace,
        permission_classes=[AnyOf(IsMember, FRONT_DESK)],
        description="New card number; balance, tier and history stay; the old number stops.",
    )
    identity_link: t.IdentityLinkResult = strawberry.mutation(
        resolver=w.identity_link,
        permission_classes=[AnyOf(IsMember, PartnerScope("members:write"), FRONT_DESK)],
        description="Link a channel account (idempotent for the same member).",
    )
    identity_unlink: t.IdentityUnlinkResult = strawberry.mutation(
        resolver=w.identity_unlink,
        permission_classes=[AnyOf(IsMember, SERVICE)],
        description="Unlink a channel account.",
    )
    consent_update: t.ConsentUpdateResult = strawberry.mutation(
        resolver=w.consent_update,
        permission_classes=[IsMember],
        description="Grant or withdraw consent per purpose (dated, versioned).",
    )
    member_merge: t.MergeResult = strawberry.mutation(
        resolver=w.member_merge,
        permission_classes=[SERVICE],
        description="Merge the absorbed record into the survivor (same person). Audited.",
    )
    member_unmerge: t.MergeResult = strawberry.mutation(
        resolver=w.member_unmerge,
        permission_classes=[SERVICE],
        description="Undo a merge: what moved goes back. Audited.",
    )
