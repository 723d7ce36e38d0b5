"""Pure rules: phones, scopes, claims, cost of a document."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from graphql import parse

from domain.auth.model import (
    Principal,
    PrincipalKind,
    Role,
    access_claims,
    principal_from_claims,
    scopes_granted,
)
from domain.errors import InvalidInput, InvalidPhone
from domain.members.model import mask_phone, normalize_phone
from domain.org.model import check_attachment
from schema.limits import operation_costs


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13800138000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("199-1234-5678", "+8619912345678"),
    ],
)
def test_phone_normalised(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "1380013800", "+14155552671", "01088886666", "abc", "9" * 40])
def test_phone_rejected(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_mask_phone():
    assert mask_phone("+8613812345678") == "138****5678"


def test_scopes_granted():
    allowed = frozenset({"members:read", "orders:write"})
    assert scopes_granted(None, allowed) == allowed
    assert scopes_granted("orders:write", allowed) == {"orders:write"}
    assert scopes_granted("coupons:redeem", allowed) is None


def test_claims_round_trip_for_staff():
    p = Principal(kind=PrincipalKind.STAFF, id=7, role=Role.STORE_STAFF, region_id=1, store_id=2)
    claims = access_claims(
        p, now=datetime(2026, 1, 1, tzinfo=UTC), ttl_s=600, issuer="i", audience_base="a"
    )
    assert claims["exp"] - claims["iat"] == 600
    assert claims["aud"] == "a/staff"  # each kind of token has its own audience
    back = principal_from_claims(claims, "a")
    assert (back.kind, back.id, back.role, back.region_id, back.store_id) == (
        PrincipalKind.STAFF,
        7,
        Role.STORE_STAFF,
        1,
        2,
    )


def test_staff_attachment_rules():
    assert check_attachment("admin", None, None) is Role.ADMIN
    for role, region, store in [
        ("store_staff", None, None),
        ("admin", "EAST", None),
        ("analyst", "EAST", "SH01"),
        ("janitor", None, None),
    ]:
        with pytest.raises(InvalidInput):
            check_attachment(role, region, store)


def test_cost_multiplies_pages_and_expands_fragments():
    doc = parse("{ products(first: 10) { edges { node { ...P } } } } fragment P on Product { a b }")
    # products 1 + 10 x (edges 1 + (node 1 + 2))
    assert operation_costs(doc, 100, 10_000) == [1 + 10 * (1 + 3)]
