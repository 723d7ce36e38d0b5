"""The suite's guard: an answer carrying "Unexpected error." (a domain error nobody
mapped, or a crash) fails the test that got it, unless the test says it provokes one."""

from __future__ import annotations

import pytest

from tests.conftest import sign_in_member


async def _crashing_products(gql, monkeypatch) -> object:
    from domain.catalog import services

    async def boom(**_kw):
        raise RuntimeError("not mapped")

    token = (await sign_in_member(gql))["accessToken"]
    monkeypatch.setattr(services, "page", boom)
    return await gql.as_(token).raw("{ products(first: 1) { edges { cursor } } }")


async def test_a_masked_error_fails_an_unmarked_test(gql, monkeypatch):
    with pytest.raises(pytest.fail.Exception, match="masked error: map it"):
        await _crashing_products(gql, monkeypatch)


@pytest.mark.masked_error_expected
async def test_a_marked_test_reads_the_masked_error(gql, monkeypatch):
    r = await _crashing_products(gql, monkeypatch)
    assert r.json()["errors"][0]["message"] == "Unexpected error."
