"""Twenty concurrent uses of one refresh token: at most one rotation succeeds, the rest
are replays, which revoke the family, and no token of the family is left usable (a
successor written while a replay revoked the family is revoked too). Runs on PostgreSQL
in the postgres pass (row-level concurrency is real there) and on SQLite by default."""

from __future__ import annotations

import asyncio

from domain.auth.tables import RefreshToken
from tests.conftest import REFRESH, sign_in_member


async def test_concurrent_refresh_one_winner(gql):
    tokens = await sign_in_member(gql)
    results = await asyncio.gather(
        *(gql(REFRESH, {"t": tokens["refreshToken"]}) for _ in range(20))
    )
    payloads = [r["data"]["tokenRefresh"] for r in results]
    kinds = [p["__typename"] for p in payloads]
    assert kinds.count("SignInSuccess") <= 1
    assert "RefreshTokenReusedError" in kinds  # the replay was detected...
    # ...and requests arriving after the family was revoked are simply invalid
    assert set(kinds) <= {"SignInSuccess", "RefreshTokenReusedError", "InvalidRefreshTokenError"}
    family = tokens["refreshToken"].split(".")[0]
    rows = await RefreshToken.filter(family=family)
    assert len(rows) <= 2  # the original and at most one successor
    assert all(r.revoked_at is not None for r in rows)  # replays revoked the family
    for p in payloads:  # whatever a winner got back cannot be used
        if p["__typename"] == "SignInSuccess":
            again = (await gql(REFRESH, {"t": p["refreshToken"]}))["data"]["tokenRefresh"]
            assert again["__typename"] == "InvalidRefreshTokenError"
