"""Pure rules of authentication: who is calling, what a token says. No I/O."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class PrincipalKind(StrEnum):
    ANONYMOUS = "anonymous"
    MEMBER = "member"
    STAFF = "staff"
    PARTNER = "partner"


class Role(StrEnum):
    ADMIN = "admin"
    MARKETING_MANAGER = "marketing_manager"
    STORE_STAFF = "store_staff"
    SERVICE_AGENT = "service_agent"
    ANALYST = "analyst"


# Scopes a partner app may hold (OAuth 2.0 "scope" values). What each allows is decided by
# the rules of domain.auth.policy (and listed in the README); every one is checked there.
PARTNER_SCOPES = frozenset(
    {
        "members:read",  # find members (lookup, scan code); reach a member's record, masked
        "members:write",  # register members, link channel identities
        "loyalty:read",  # a member's points and coupons
        "orders:read",  # a member's orders
        "orders:write",  # post orders (spending points) and refunds
        "coupons:redeem",  # validate, redeem and void coupons
        "catalog:write",  # create and update products
    }
)


@dataclass(frozen=True)
class Principal:
    """The verified caller of one request."""

    kind: PrincipalKind = PrincipalKind.ANONYMOUS
    id: int | None = None
    role: Role | None = None
    region_id: int | None = None
    store_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: str = ""

    @property
    def subject(self) -> str:
        return f"{self.kind.value}:{self.id}"


ANONYMOUS = Principal()


def access_claims(
    p: Principal, *, now: datetime, ttl_s: int, issuer: str, audience: str
) -> dict[str, object]:
    iat = int(now.timestamp())
    claims: dict[str, object] = {
        "iss": issuer,
        "aud": audience,
        "sub": p.subject,
        "iat": iat,
        "nbf": iat,
        "exp": iat + ttl_s,
        "jti": secrets.token_urlsafe(12),
    }
    if p.kind is PrincipalKind.STAFF:
        claims["role"] = p.role.value if p.role else None
        claims["rid"] = p.region_id
        claims["sid"] = p.store_id
    if p.kind is PrincipalKind.PARTNER:
        claims["scope"] = " ".join(sorted(p.scopes))
    return claims


class MalformedClaims(ValueError):
    pass


def principal_from_claims(claims: dict[str, object]) -> Principal:
    kind_s, _, id_s = str(claims.get("sub", "")).partition(":")
    try:
        kind = PrincipalKind(kind_s)
        pid = int(id_s)
    except ValueError:
        raise MalformedClaims("bad sub") from None
    if kind is PrincipalKind.ANONYMOUS:
        raise MalformedClaims("bad sub")
    role = None
    if kind is PrincipalKind.STAFF:
        try:
            role = Role(str(claims.get("role")))
        except ValueError:
            raise MalformedClaims("bad role") from None
    scope = str(claims.get("scope") or "") if kind is PrincipalKind.PARTNER else ""
    return Principal(
        kind=kind,
        id=pid,
        role=role,
        region_id=_opt_int(claims.get("rid")),
        store_id=_opt_int(claims.get("sid")),
        scopes=frozenset(scope.split()),
        token_id=str(claims.get("jti", "")),
    )


def _opt_int(value: object) -> int | None:
    return int(value) if isinstance(value, int) else None


# --- refresh tokens: "<family>.<secret>"; only sha256(token) is stored --------------


def new_refresh_token(family: str | None = None) -> tuple[str, str, str]:
    """Returns (token, family, sha256 hex of the token)."""
    family = family or secrets.token_hex(12)
    token = f"{family}.{secrets.token_urlsafe(32)}"
    return token, family, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- one-time codes --------------------------------------------------------------------


def new_code(length: int) -> str:
    return f"{secrets.randbelow(10**length):0{length}d}"


def codes_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def scopes_granted(requested: str | None, allowed: frozenset[str]) -> frozenset[str] | None:
    """OAuth scope negotiation: no request -> everything allowed; else a subset or None."""
    if not requested:
        return allowed
    wanted = frozenset(requested.split())
    return wanted if wanted <= allowed else None
