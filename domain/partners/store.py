"""Partner app rows for other areas (they never import domain.partners.tables)."""

from __future__ import annotations

from domain.partners.tables import PartnerApp


async def active_app(client_id: str) -> PartnerApp | None:
    return await PartnerApp.get_or_none(client_id=client_id, active=True)


async def create_app(*, name: str, client_id: str, secret_hash: str, scopes: str) -> PartnerApp:
    return await PartnerApp.create(
        name=name, client_id=client_id, secret_hash=secret_hash, scopes=scopes
    )


async def app_by_client_id(client_id: str) -> PartnerApp | None:
    """The app of this client id, active or not."""
    return await PartnerApp.get_or_none(client_id=client_id)


async def deactivate_app(app_id: int) -> int:
    """Mark the app inactive if it is active; the number of rows changed (0 or 1)."""
    return await PartnerApp.filter(id=app_id, active=True).update(active=False)
