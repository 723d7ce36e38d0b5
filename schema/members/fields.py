"""Member queries and mutations. Who may call a field is declared here; which members
they may reach is decided by the domain (row scope), whatever the field."""

from __future__ import annotations

import strawberry

from domain.auth import policy
from resolvers import member_mutations as w
from resolvers import members as r
from schema.members import types as t
from schema.permissions import Allow


@strawberry.type
class MemberQuery:
    me: t.Member = strawberry.field(
        resolver=r.me,
        permission_classes=[Allow(policy.MEMBER_SELF)],
        description="The signed-in member.",
    )
    member: t.Member | None = strawberry.field(
        resolver=r.member,
        permission_classes=[Allow(policy.READ_MEMBER)],
        description="A member by global id; null when missing or outside your scope.",
    )
    members: t.MemberConnection = strawberry.field(
        resolver=r.members,
        permission_classes=[Allow(policy.LIST_MEMBERS)],
        description="Members in your scope, by id, filtered; 1-100 per page (`first`).",
    )
    member_lookup: t.MemberLookupResult = strawberry.field(
        resolver=r.member_lookup,
        permission_classes=[Allow(policy.LOOKUP_MEMBERS)],
        description="Find a member by scan code, card number, phone, channel identity or id "
        "(partner scope members:read, or staff). Phone comes masked.",
    )
    member_by_scan_code: t.MemberLookupResult = strawberry.field(
        resolver=r.member_by_scan_code,
        permission_classes=[Allow(policy.SCAN_MEMBERS)],
        description="The member whose app shows this code (expired or altered codes fail).",
    )
    customer_360: t.Customer360 | None = strawberry.field(
        resolver=r.customer_360,
        name="customer360",
        permission_classes=[Allow(policy.LIST_MEMBERS)],
        description="Everything about one member in your scope, for service and stores.",
    )


@strawberry.type
class MemberMutation:
    member_register: t.MemberRegisterResult = strawberry.mutation(
        resolver=w.member_register,
        permission_classes=[Allow(policy.REGISTER_MEMBERS)],
        description="Register a member with a card and the `new` tag. A partner's retry "
        "returns the member it registered (created: false).",
    )
    member_update: t.MemberUpdateResult = strawberry.mutation(
        resolver=w.member_update,
        permission_classes=[Allow(policy.MEMBER_SELF)],
        description="Change your own profile.",
    )
    member_update_by_staff: t.MemberUpdateResult = strawberry.mutation(
        resolver=w.member_update_by_staff,
        permission_classes=[Allow(policy.EDIT_MEMBERS)],
        description="Staff change a member in their scope (audited); status needs admin or "
        "service agent.",
    )
    member_reveal_personal_data: t.RevealResult = strawberry.mutation(
        resolver=w.member_reveal,
        permission_classes=[Allow(policy.REVEAL_PERSONAL_DATA)],
        description="Show unmasked phone / birthday / income band, with a reason. Audited.",
    )
    card_issue: t.CardResult = strawberry.mutation(
        resolver=w.card_issue,
        permission_classes=[Allow(policy.MANAGE_CARDS)],
        description="Issue the member's card if they have none; otherwise returns it.",
    )
    card_report_lost: t.CardResult = strawberry.mutation(
        resolver=w.card_report_lost,
        permission_classes=[Allow(policy.MANAGE_CARDS)],
        description="Block the card at once (members: omit memberId). Points stay.",
    )
    card_replace: t.CardResult = strawberry.mutation(
        resolver=w.card_replace,
        permission_classes=[Allow(policy.MANAGE_CARDS)],
        description="New card number; balance, tier and history stay; the old number stops.",
    )
    identity_link: t.IdentityLinkResult = strawberry.mutation(
        resolver=w.identity_link,
        permission_classes=[Allow(policy.LINK_IDENTITIES)],
        description="Link a channel account (idempotent for the same member).",
    )
    identity_unlink: t.IdentityUnlinkResult = strawberry.mutation(
        resolver=w.identity_unlink,
        permission_classes=[Allow(policy.UNLINK_IDENTITIES)],
        description="Unlink a channel account.",
    )
    consent_update: t.ConsentUpdateResult = strawberry.mutation(
        resolver=w.consent_update,
        permission_classes=[Allow(policy.MEMBER_SELF)],
        description="Grant or withdraw consent per purpose (dated, versioned).",
    )
    member_merge: t.MergeResult = strawberry.mutation(
        resolver=w.member_merge,
        permission_classes=[Allow(policy.MERGE_MEMBERS)],
        description="Merge the absorbed record into the survivor (same person). Audited.",
    )
    member_unmerge: t.MergeResult = strawberry.mutation(
        resolver=w.member_unmerge,
        permission_classes=[Allow(policy.MERGE_MEMBERS)],
        description="Undo a merge: what moved goes back. Audited.",
    )
