"""The suite's guard against masked errors: an answer carrying "Unexpected error." (a
domain error nobody mapped, or a crash) fails the test that got it, unless the test is
marked ``masked_error_expected`` (the few that provoke one on purpose)."""

from __future__ import annotations

import httpx
import pytest

MARKER = "masked_error_expected"
MASKED = b"Unexpected error."


def register(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: the test provokes a masked error")


def hooks(request: pytest.FixtureRequest) -> dict:
    """httpx ``event_hooks`` for the test's client."""
    if request.node.get_closest_marker(MARKER) is not None:
        return {}

    async def unmasked(response: httpx.Response) -> None:
        if MASKED in await response.aread():
            pytest.fail(f"masked error: map it to a typed error: {response.text[:500]}")

    return {"response": [unmasked]}
