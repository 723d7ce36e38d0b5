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
    issued_at: int = 0  # the access token's iat (revocation compares it)
    session: str = ""  # the refresh-token family the access token was issued in

    @property
    def subject(self) -> str:
        return f"{self.kind.value}:{self.id}"


ANONYMOUS = Principal()

# The JWT ``typ`` header of an access token (RFC 9068 section 2.1); tokens of another
# type (an ID token, a plain "JWT") are refused.
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret
ACCEPTED_TYPES = frozenset({"at+jwt", "application/at+jwt"})
# Claims that only one kind of principal may carry: a token of another kind carrying one
# is forged or confused, and refused.
_KIND_CLAIMS = {
    PrincipalKind.MEMBER: frozenset({"fam"}),
    PrincipalKind.STAFF: frozenset({"role", "rid", "sid", "fam"}),
    PrincipalKind.PARTNER: frozenset({"scope"}),
}
_ALL_KIND_CLAIMS = frozenset().union(*_KIND_CLAIMS.values())


def audience(base: str, kind: PrincipalKind) -> str:
    """Member, staff and partner tokens each have their own audience, so a token of one
    kind can never be accepted as another (``loyalty-api/member`` ...)."""
    return f"{base}/{kind.value}"


def audiences(base: str) -> list[str]:
    return [audience(base, k) for k in _KIND_CLAIMS]


def access_claims(
    p: Principal, *, now: datetime, ttl_s: int, issuer: str, audience_base: str
) -> dict[str, object]:
    iat = int(now.timestamp())
    claims: dict[str, object] = {
        "iss": issuer,
        "aud": audience(audience_base, p.kind),
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
    if p.session:
        claims["fam"] = p.session
    return claims


class MalformedClaims(ValueError):
    pass


def principal_from_claims(claims: dict[str, object], audience_base: str) -> Principal:
    kind_s, _, id_s = str(claims.get("sub", "")).partition(":")
    try:
        kind = PrincipalKind(kind_s)
        pid = int(id_s)
    except ValueError:
        raise MalformedClaims("bad sub") from None
    if kind is PrincipalKind.ANONYMOUS:
        raise MalformedClaims("bad sub")
    if claims.get("aud") != audience(audience_base, kind):
        raise MalformedClaims("audience does not match the kind of token")
    foreign = (_ALL_KIND_CLAIMS - _KIND_CLAIMS[kind]) & claims.keys()
    if foreign:
        raise MalformedClaims(f"claims of another kind of token: {sorted(foreign)}")
    role = None
    if kind is PrincipalKind.STAFF:
        try:
            role = Role(str(claims.get("role")))
        except ValueError:
            raise MalformedClaims("bad role") from None
    scope = str(claims.get("scope") or "") if kind is PrincipalKind.PARTNER else ""
    iat = claims.get("iat")
    return Principal(
        kind=kind,
        id=pid,
        role=role,
        region_id=_opt_int(claims.get("rid")),
        store_id=_opt_int(claims.get("sid")),
        scopes=frozenset(scope.split()),
        token_id=str(claims.get("jti", "")),
        issued_at=iat if isinstance(iat, int) else 0,
        session=str(claims.get("fam") or ""),
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
