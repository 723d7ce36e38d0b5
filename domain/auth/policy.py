"""Who may do what: the one table of staff roles, partner scopes and member self-service.

Field permissions (``schema.permissions.Allow``), node resolution (``resolvers.nodes``),
member row scope (``domain.members.scope``) and the services' own role checks all read
the rules here; no other module writes out a set of roles or scopes. A rule says which
kinds of caller may use a capability:

* ``members``  a signed-in member, acting for themself (row scope keeps them to their own);
* ``roles``    staff holding one of these roles (row scope then limits region / store);
* ``scopes``   a partner app whose token carries any one of these scopes;
* ``everyone`` any signed-in principal.

Anonymous callers are never allowed by a rule: they are told to sign in
(``UNAUTHENTICATED``); everyone else is ``FORBIDDEN`` with a reason worded for their kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.auth.model import Principal, PrincipalKind, Role

# --- staff role groups ---------------------------------------------------------------------
# Staff who work with individual members (analysts see aggregates only).
_FRONT_DESK = frozenset({Role.ADMIN, Role.SERVICE_AGENT, Role.STORE_STAFF})
_MEMBER_STAFF = _FRONT_DESK | {Role.MARKETING_MANAGER}
_SERVICE = frozenset({Role.ADMIN, Role.SERVICE_AGENT})
_MARKETING = frozenset({Role.ADMIN, Role.MARKETING_MANAGER})
_ADMIN = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class Rule:
    """A capability and who holds it. ``action`` completes "Members cannot …"."""

    action: str
    members: bool = False
    roles: frozenset[Role] = frozenset()
    scopes: frozenset[str] = frozenset()
    everyone: bool = False

    def allows(self, p: Principal) -> bool:
        if p.kind is PrincipalKind.ANONYMOUS:
            return False
        if self.everyone:
            return True
        if p.kind is PrincipalKind.MEMBER:
            return self.members
        if p.kind is PrincipalKind.STAFF:
            return p.role in self.roles
        if p.kind is PrincipalKind.PARTNER:
            return bool(self.scopes & p.scopes)
        return False


def _rule(
    action: str,
    *,
    members: bool = False,
    roles: frozenset[Role] = frozenset(),
    scopes: tuple[str, ...] = (),
    everyone: bool = False,
) -> Rule:
    return Rule(action, members, roles, frozenset(scopes), everyone)


@dataclass(frozen=True)
class Denial:
    code: str  # UNAUTHENTICATED or FORBIDDEN
    message: str
    required_scopes: tuple[str, ...] = ()


def denial(rule: Rule, p: Principal) -> Denial:
    """Why ``p`` may not use ``rule``, worded for the kind of caller."""
    if p.kind is PrincipalKind.ANONYMOUS:
        return Denial("UNAUTHENTICATED", "Sign in first: this needs an access token.")
    if p.kind is PrincipalKind.MEMBER:
        return Denial("FORBIDDEN", f"Members cannot {rule.action}.")
    if p.kind is PrincipalKind.PARTNER:
        if not rule.scopes:
            return Denial("FORBIDDEN", f"Partner apps cannot {rule.action}.")
        needed = tuple(sorted(rule.scopes))
        return Denial(
            "FORBIDDEN",
            f"This needs the partner scope {' or '.join(needed)} (to {rule.action}).",
            needed,
        )
    role = p.role.value if p.role else "none"
    if not rule.roles:
        return Denial("FORBIDDEN", f"Staff cannot {rule.action}.")
    return Denial("FORBIDDEN", f"The staff role {role} cannot {rule.action}.")


# --- the rules -----------------------------------------------------------------------------
SIGNED_IN = _rule("do this", everyone=True)

# members: the profile, the list, lookups
MEMBER_SELF = _rule("do this: it is for the signed-in member", members=True)
# A member by id (``member``, ``node``): a partner with members:read gets what
# ``memberLookup(ref: {memberId})`` gives it (phone masked), no more.
READ_MEMBER = _rule(
    "read other members' records", members=True, roles=_MEMBER_STAFF, scopes=("members:read",)
)
LIST_MEMBERS = _rule("list members or read their service view", roles=_MEMBER_STAFF)
SEE_MEMBERS = _rule(
    "see member records",
    members=True,
    roles=_MEMBER_STAFF,
    scopes=("members:read", "members:write"),
)
LOOKUP_MEMBERS = _rule("look members up", roles=_FRONT_DESK, scopes=("members:read",))
SCAN_MEMBERS = _rule("look members up by scan code", scopes=("members:read",))
REGISTER_MEMBERS = _rule("register members", roles=_FRONT_DESK, scopes=("members:write",))
EDIT_MEMBERS = _rule("change members' records", roles=_FRONT_DESK)
CHANGE_MEMBER_STATUS = _rule("change a member's status", roles=_SERVICE)
REVEAL_PERSONAL_DATA = _rule("reveal members' personal data", roles=_SERVICE)
MANAGE_CARDS = _rule("manage cards", members=True, roles=_FRONT_DESK)
LINK_IDENTITIES = _rule(
    "link channel accounts", members=True, roles=_FRONT_DESK, scopes=("members:write",)
)
UNLINK_IDENTITIES = _rule("unlink channel accounts", members=True, roles=_SERVICE)
MERGE_MEMBERS = _rule("merge or unmerge members", roles=_SERVICE)
READ_NOTIFICATIONS = _rule("read members' messages", roles=_MEMBER_STAFF)

# orders and points
WRITE_ORDERS = _rule("record orders or refunds", scopes=("orders:write",))
READ_ORDERS = _rule(
    "read a member's orders", members=True, roles=_MEMBER_STAFF, scopes=("orders:read",)
)
READ_LOYALTY = _rule(
    "read a member's points and coupons",
    members=True,
    roles=_MEMBER_STAFF,
    scopes=("loyalty:read",),
)
ADJUST_POINTS = _rule("adjust points by hand", roles=_SERVICE)
REDEEM_REWARDS = _rule("redeem rewards: that is for the member", members=True)
READ_REWARDS = _rule("read rewards", everyone=True)
MANAGE_EARNING = _rule("manage rewards, earning rules and campaigns", roles=_MARKETING)
# marketing reads the earning rules and proposes campaigns; only an admin changes them
CHANGE_EARN_RULES = _rule("change the earning rules", roles=_ADMIN)

# coupons
READ_COUPON_TEMPLATES = _rule("read coupon templates", roles=_MARKETING | frozenset({Role.ANALYST}))
MANAGE_COUPONS = _rule("create or issue coupon templates", roles=_MARKETING)
CLAIM_COUPONS = _rule("claim coupons: that is for the member", members=True)
VALIDATE_COUPONS = _rule("check coupons", members=True, scopes=("coupons:redeem",))
REDEEM_COUPONS = _rule("redeem or void coupons", scopes=("coupons:redeem",))

# feeds: a member reads their own; staff who work with members read one in their scope
# (audited); the figures behind a ranking (score parts, rule support/confidence/lift) are
# for staff only, analysts included
READ_FEED = _rule("read a member's feed", members=True, roles=_MEMBER_STAFF)
SEE_FEED_SCORES = _rule(
    "see how the feed is scored", roles=_MEMBER_STAFF | frozenset({Role.ANALYST})
)
# feeds: a member's own signals (dismiss, mute, preference, events) are theirs alone;
# the feed report is aggregates, held to the staff member's org scope (region, store)
FEED_SIGNALS = _rule("change a member's feed: that is for the member", members=True)
READ_FEED_REPORT = _rule("read the feed report", roles=_MEMBER_STAFF | frozenset({Role.ANALYST}))

# catalogue, tiers, operations
READ_CATALOG = _rule("read the catalogue", everyone=True)
WRITE_CATALOG = _rule("change the catalogue", roles=_MARKETING, scopes=("catalog:write",))
READ_TIERS = _rule("read the ladder", everyone=True)
MANAGE_TIERS = _rule("change tiers", roles=_ADMIN)
READ_AUDIT = _rule("read the audit log", roles=_ADMIN)
MANAGE_JOBS = _rule("read or replay dead letters", roles=_ADMIN)
MANAGE_ACCESS = _rule("lift sign-in lockouts or deactivate accounts", roles=_ADMIN)

# What ``node(id:)`` asks of the caller for each type: every rule on the typed path to it,
# so ``node`` never gives more, or less, than the fields do. A partner reaches a member only
# through ``memberLookup`` / ``member`` (members:read) and a member's points, coupons and
# orders through that member's fields, so it needs members:read *and* the data's scope.
# Member-owned types are also held to member row scope (``domain.members.scope``).
NODE_RULES: dict[str, tuple[Rule, ...]] = {
    "Member": (READ_MEMBER,),
    "MemberIdentity": (READ_MEMBER,),  # Member.identities
    "MemberMerge": (LIST_MEMBERS,),  # customer360.merges
    "Notification": (READ_NOTIFICATIONS,),
    "Order": (READ_MEMBER, READ_ORDERS),  # member → orders
    "Coupon": (READ_MEMBER, READ_LOYALTY),  # member → coupons
    "LedgerEntry": (READ_MEMBER, READ_LOYALTY),  # member → points.history
    "Reward": (READ_REWARDS,),
    "PointsCampaign": (MANAGE_EARNING,),
    "CouponTemplate": (READ_COUPON_TEMPLATES,),
    "Product": (READ_CATALOG,),
    "AuditEntry": (READ_AUDIT,),
    "DeadLetter": (MANAGE_JOBS,),
}


def may_fetch_node(type_name: str, p: Principal) -> bool:
    """May ``p`` fetch objects of ``type_name`` by global id (before row scope)?"""
    path = NODE_RULES.get(type_name)
    return path is not None and all(rule.allows(p) for rule in path)
