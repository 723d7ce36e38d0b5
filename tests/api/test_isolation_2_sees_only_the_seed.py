"""Isolation, second half: runs after ``test_isolation_1_leaves_rows`` in the same session
and finds exactly the seeded database, none of the rows that module (or any before it)
left behind. Without the module reset of tests/conftest.py this test fails."""

from __future__ import annotations

from domain.tiers.tables import Tier
from tests import isolation

LEFT_BEHIND_TIER = "LEAKX"  # the tier test_isolation_1_leaves_rows creates


async def test_a_module_starts_from_the_seeded_database(seed, settings):
    assert await isolation.differences(settings) == {}
    assert not await Tier.filter(code=LEFT_BEHIND_TIER).exists()
