"""Pure authentication rules not covered by test_rules.py: a token names one kind of
caller (its own audience and claims), refresh tokens keep only a digest, one-time codes
have their length. Refused claims raise MalformedClaims."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.auth.model import (
    MalformedClaims,
    Principal,
    PrincipalKind,
    Role,
    access_claims,
    audiences,
    codes_equal,
    new_code,
    new_refresh_token,
    principal_from_claims,
    token_digest,
)

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
BASE = "loyalty-api"


def claims_of(p: Principal) -> dict[str, object]:
    return access_claims(p, now=NOW, ttl_s=900, issuer="i", audience_base=BASE)


MEMBER = Principal(kind=PrincipalKind.MEMBER, id=42, session="fam1")
PARTNER = Principal(
    kind=PrincipalKind.PARTNER, id=3, scopes=frozenset({"orders:write", "members:read"})
)


def test_each_kind_of_caller_has_its_own_audience():
    assert audiences(BASE) == [f"{BASE}/member", f"{BASE}/staff", f"{BASE}/partner"]
    assert claims_of(MEMBER)["aud"] == f"{BASE}/member"


def test_member_and_partner_claims_round_trip():
    back = principal_from_claims(claims_of(MEMBER), BASE)
    assert (back.kind, back.id, back.session, back.role, back.scopes) == (
        PrincipalKind.MEMBER,
        42,
        "fam1",
        None,
        frozenset(),
    )
    assert back.issued_at == int(NOW.timestamp())
    partner = principal_from_claims(claims_of(PARTNER), BASE)
    assert partner.scopes == PARTNER.scopes and partner.subject == "partner:3"


@pytest.mark.parametrize(
    "change",
    [
        {"sub": "member:abc"},
        {"sub": "anonymous:1"},
        {"sub": "robot:1"},
        {"aud": f"{BASE}/staff"},  # a member token presented as a staff one
        {"role": "admin"},  # a staff claim in a member token
        {"scope": "orders:write"},  # a partner claim in a member token
    ],
)
def test_confused_or_forged_claims_are_refused(change):
    with pytest.raises(MalformedClaims):
        principal_from_claims(claims_of(MEMBER) | change, BASE)


def test_a_staff_token_needs_a_known_role():
    staff = claims_of(Principal(kind=PrincipalKind.STAFF, id=1, role=Role.ANALYST))
    assert principal_from_claims(staff, BASE).role is Role.ANALYST
    with pytest.raises(MalformedClaims):
        principal_from_claims(staff | {"role": "janitor"}, BASE)


def test_refresh_tokens_carry_their_family_and_only_a_digest_is_kept():
    token, family, digest = new_refresh_token()
    assert token.startswith(family + ".") and digest == token_digest(token)
    assert digest != token and len(digest) == 64
    rotated, same_family, _ = new_refresh_token(family)
    assert same_family == family and rotated != token


def test_one_time_codes_have_their_length_and_compare_exactly():
    codes = {new_code(6) for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes) and len(codes) > 150
    assert codes_equal("012345", "012345") and not codes_equal("012345", "12345")
