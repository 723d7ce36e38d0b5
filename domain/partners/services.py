"""Partner applications: created by an admin, the secret shown once."""

from __future__ import annotations

import secrets

from domain.auth.model import PARTNER_SCOPES
from domain.auth.passwords import hash_secret
from domain.errors import InvalidInput
from domain.partners.tables import PartnerApp


async def create_partner(
    name: str, scopes: list[str], client_id: str | None = None, secret: str | None = None
) -> tuple[PartnerApp, str]:
    """Returns the app and its client secret (only a hash is stored)."""
    unknown = set(scopes) - PARTNER_SCOPES
    if unknown or not scopes:
        raise InvalidInput(
            f"Scopes must be among {', '.join(sorted(PARTNER_SCOPES))}; got {sorted(unknown)}.",
            field="scopes",
        )
    secret = secret or secrets.token_urlsafe(32)
    app = await PartnerApp.create(
        name=name,
        client_id=client_id or f"pa_{secrets.token_hex(8)}",
        secret_hash=hash_secret(secret),
        scopes=" ".join(sorted(set(scopes))),
    )
    return app, secret
