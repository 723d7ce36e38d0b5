"""Partner app rows for other areas (they never import domain.partners.tables)."""

from __future__ import annotations

from domain.partners.tables import PartnerApp


async def active_app(client_id: str) -> PartnerApp | None:
    return await PartnerApp.get_or_none(client_id=client_id, active=True)
