"""The policy table: every partner scope is checked somewhere, every rule names real
scopes, and a denial is worded for the kind of caller."""

from __future__ import annotations

from domain.auth import policy
from domain.auth.model import ANONYMOUS, PARTNER_SCOPES, Principal, PrincipalKind, Role

RULES = [v for v in vars(policy).values() if isinstance(v, policy.Rule)]


def test_every_partner_scope_is_checked_by_a_rule_and_no_rule_names_another():
    used = {s for rule in RULES for s in rule.scopes}
    assert used == PARTNER_SCOPES  # a declared scope no rule checks is a scope that lies


def test_every_node_type_has_a_published_rule():
    assert all(policy.NODE_RULES.values())  # a path of at least one rule
    assert {r for path in policy.NODE_RULES.values() for r in path} <= set(RULES)


def test_denials_are_worded_for_the_caller():
    rule = policy.READ_ORDERS
    assert policy.denial(rule, ANONYMOUS).code == "UNAUTHENTICATED"
    partner = Principal(kind=PrincipalKind.PARTNER, id=1, scopes=frozenset({"loyalty:read"}))
    d = policy.denial(rule, partner)
    assert (d.code, d.required_scopes) == ("FORBIDDEN", ("orders:read",))
    analyst = Principal(kind=PrincipalKind.STAFF, id=1, role=Role.ANALYST)
    assert policy.denial(rule, analyst).message == (
        "The staff role analyst cannot read a member's orders."
    )
    member = Principal(kind=PrincipalKind.MEMBER, id=1)
    assert policy.denial(policy.READ_AUDIT, member).message == "Members cannot read the audit log."
    assert not any(rule.allows(ANONYMOUS) for rule in RULES)


def test_a_rule_allows_each_kind_of_caller_only_through_its_own_part():
    rule = policy.Rule("x", members=False, roles=frozenset({Role.ADMIN}), scopes=frozenset({"s"}))
    assert rule.allows(Principal(kind=PrincipalKind.STAFF, id=1, role=Role.ADMIN))
    assert not rule.allows(Principal(kind=PrincipalKind.STAFF, id=1, role=Role.ANALYST))
    assert not rule.allows(Principal(kind=PrincipalKind.STAFF, id=1))  # no role at all
    assert rule.allows(Principal(kind=PrincipalKind.PARTNER, id=1, scopes=frozenset({"s", "t"})))
    assert not rule.allows(Principal(kind=PrincipalKind.PARTNER, id=1, scopes=frozenset({"t"})))
    assert not rule.allows(Principal(kind=PrincipalKind.MEMBER, id=1))
    everyone = policy.Rule("y", everyone=True)
    assert everyone.allows(Principal(kind=PrincipalKind.MEMBER, id=1))
    assert not everyone.allows(ANONYMOUS)


def test_only_admins_configure_the_ladder_read_the_audit_log_and_manage_access():
    # DOMAIN.md: least privilege, only admins configure and export
    for rule in (policy.MANAGE_TIERS, policy.READ_AUDIT, policy.MANAGE_ACCESS, policy.MANAGE_JOBS):
        staff = [Principal(kind=PrincipalKind.STAFF, id=1, role=r) for r in Role]
        allowed = {p.role for p in staff if rule.allows(p)}
        assert allowed == {Role.ADMIN}, rule.action
        assert not rule.scopes and not rule.members
