"""Access tokens (JWT) for the three kinds of principal.

Verification is strict: the algorithm allow-list is fixed (EdDSA only, the header's
``alg`` is never trusted), the ``typ`` header must say ``at+jwt`` (RFC 9068), the ``kid``
must name a live key, ``exp iat iss aud sub jti`` are required, and the audience must be
the one of the token's kind (member, staff and partner tokens each have their own, so one
is never taken for another). Revocation is checked after this, per request, by
``domain.auth.revocation``. Times are checked against ``domain.clock`` so tests can move time,
on every use: a token's signature is checked once per process (``VERIFIED_MAX``).
"""

from __future__ import annotations

import jwt

from domain import clock
from domain.auth.keys import ALGORITHM, KeyRing
from domain.auth.model import (
    ACCEPTED_TYPES,
    ACCESS_TOKEN_TYPE,
    MalformedClaims,
    Principal,
    access_claims,
    audiences,
    principal_from_claims,
)
from domain.config import Settings
from domain.errors import InvalidAccessToken

REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti"]
LEEWAY_S = 30
# Tokens whose signature this process has checked: an app sends the same access token on
# every request until it expires, and the signature check was a tenth of a member-home
# request. Keyed by the whole token, so a changed byte is a new token, checked afresh.
VERIFIED_MAX = 50_000


class TokenService:
    def __init__(self, settings: Settings, keys: KeyRing) -> None:
        self.settings = settings
        self.keys = keys
        self._verified: dict[str, tuple[str, dict]] = {}  # token -> (kid, claims)

    async def issue(self, principal: Principal, ttl_s: int | None = None) -> tuple[str, int]:
        ttl = ttl_s or self.settings.access_token_ttl_s
        claims = access_claims(
            principal,
            now=clock.now(),
            ttl_s=ttl,
            issuer=self.settings.jwt_issuer,
            audience_base=self.settings.jwt_audience,
        )
        kid, key = await self.keys.signer()
        headers = {"kid": kid, "typ": ACCESS_TOKEN_TYPE}
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers=headers), ttl

    async def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is None:
            known = await self._check_signature(token)
            if len(self._verified) >= VERIFIED_MAX:  # forget the oldest
                del self._verified[next(iter(self._verified))]
            self._verified[token] = known
        kid, claims = known
        if await self.keys.public_key(kid) is None:  # retired since it was verified
            raise InvalidAccessToken("unknown key id")
        now = clock.now().timestamp()
        exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf", claims.get("iat"))
        if not (isinstance(exp, int) and isinstance(iat, int) and isinstance(nbf, int)):
            raise InvalidAccessToken("time claims must be integers")
        if exp <= now - LEEWAY_S:
            raise InvalidAccessToken("expired")
        if nbf > now + LEEWAY_S or iat > now + LEEWAY_S:
            raise InvalidAccessToken("not valid yet")
        try:
            return principal_from_claims(claims, self.settings.jwt_audience)
        except MalformedClaims as exc:
            raise InvalidAccessToken(str(exc)) from None

    async def _check_signature(self, token: str) -> tuple[str, dict]:
        """The key id and claims of a token whose header, signature, issuer and audience
        check out (its times are checked on every use, by ``verify``)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidAccessToken("malformed token") from None
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str):
            raise InvalidAccessToken("algorithm or key id not accepted")
        if str(header.get("typ", "")).lower() not in ACCEPTED_TYPES:
            raise InvalidAccessToken("not an access token (typ)")
        key = await self.keys.public_key(kid)
        if key is None:
            raise InvalidAccessToken("unknown key id")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=audiences(self.settings.jwt_audience),
                issuer=self.settings.jwt_issuer,
                options={
                    "require": REQUIRED_CLAIMS,
                    # time claims are checked in verify against domain.clock
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidAccessToken(f"rejected: {type(exc).__name__}") from None
        return kid, claims
