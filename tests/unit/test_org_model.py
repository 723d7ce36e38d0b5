"""Pure organisation rules: a staff account hangs off HQ, a region or a store, with a
role that fits where it hangs (DOMAIN.md, "Who calls the API": HQ, region, store)."""

from __future__ import annotations

import pytest

from domain.auth.model import Role
from domain.errors import InvalidInput
from domain.org.model import check_attachment


@pytest.mark.parametrize(
    ("role", "region", "store", "parsed"),
    [
        ("admin", None, None, Role.ADMIN),
        ("marketing_manager", None, None, Role.MARKETING_MANAGER),
        ("service_agent", "EAST", None, Role.SERVICE_AGENT),
        ("analyst", "EAST", None, Role.ANALYST),
        ("store_staff", None, "SH01", Role.STORE_STAFF),
    ],
)
def test_where_each_role_may_sit(role, region, store, parsed):
    assert check_attachment(role, region, store) is parsed


@pytest.mark.parametrize(
    ("role", "region", "store", "field"),
    [
        ("cashier", None, None, "role"),
        ("service_agent", "EAST", "SH01", "store"),  # a region or a store, not both
        ("store_staff", "EAST", None, "store"),  # store staff belong to a store
        ("admin", None, "SH01", "role"),  # admin is an HQ role
    ],
)
def test_misplaced_accounts_are_refused_naming_the_field(role, region, store, field):
    with pytest.raises(InvalidInput) as err:
        check_attachment(role, region, store)
    assert err.value.field == field
