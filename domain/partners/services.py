"""Partner applications: created by an admin, the secret shown once."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from domain.audit import services as audit
from domain.auth import sessions
from domain.auth.model import PARTNER_SCOPES, Principal
from domain.auth.passwords import hash_secret
from domain.db import in_transaction
from domain.errors import InvalidInput, NotFound
from domain.partners import store
from domain.runtime import Runtime

if TYPE_CHECKING:
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
    app = await store.create_app(
        name=name,
        client_id=client_id or f"pa_{secrets.token_hex(8)}",
        secret_hash=hash_secret(secret),
        scopes=" ".join(sorted(set(scopes))),
    )
    return app, secret


async def deactivate_partner(
    rt: Runtime, actor: Principal, client_id: str, **why: str
) -> PartnerApp:
    """Deactivate a partner app: its client credentials stop working and every access
    token it holds is refused from now on, in every process. Audited."""
    async with in_transaction():
        app = await store.app_by_client_id(client_id)
        if app is None:
            raise NotFound(f"No partner app {client_id!r}.", field="clientId")
        changed = await store.deactivate_app(app.id)
        await audit.record(
            actor, "partner.deactivate", "partner", app.id, already_inactive=not changed, **why
        )
    await sessions.revoke_subject(rt, f"partner:{app.id}")
    app.active = False
    return app
