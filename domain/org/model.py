"""Pure organisation rules: where a staff account sits and what its role may be."""

from __future__ import annotations

from enum import StrEnum

from domain.auth.model import Role
from domain.errors import InvalidInput


class StoreChannel(StrEnum):
    STORE = "STORE"
    ECOMMERCE = "ECOMMERCE"  # an online shop


def check_attachment(role: str, region_code: str | None, store_code: str | None) -> Role:
    """A staff account hangs off HQ (neither), a region, or a store (not both)."""
    try:
        parsed = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(f"Unknown role {role!r}; one of {allowed}.", field="role") from None
    if region_code and store_code:
        raise InvalidInput("Attach staff to a region or a store, not both.", field="store")
    if parsed is Role.STORE_STAFF and not store_code:
        raise InvalidInput("store_staff must be attached to a store.", field="store")
    if parsed is Role.ADMIN and (region_code or store_code):
        raise InvalidInput("admin is an HQ role.", field="role")
    return parsed
