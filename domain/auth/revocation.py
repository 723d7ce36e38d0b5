"""Access-token revocation, checked on every request without a database round trip.

Two kinds of entry live in the runtime cache (Redis in production, so every API process
sees a revocation at once; the in-memory cache in the embedded single process):

* ``auth:nbf:<subject>``: a per-subject "not before". A token of that subject whose
  ``iat`` is earlier is refused. Set when a staff account or a partner is deactivated.
* ``auth:fam:<family>``: a session (refresh-token family) that ended. A token issued in
  it (its ``fam`` claim) is refused. Set by ``signOut`` and when a refresh token is
  replayed.

Both outlive the longest access token, then expire by themselves. The check is one
``MGET`` (member and staff tokens) or ``GET`` (partner tokens) per request. When the
cache cannot be reached the check lets the token through and logs a warning (tokens live
minutes; failing closed would sign out every caller whenever the cache blinks).
"""

from __future__ import annotations

import logging
import time

from domain import clock
from domain.auth.model import Principal
from domain.cache import Cache
from domain.config import Settings
from domain.errors import InvalidAccessToken

log = logging.getLogger("loyalty.auth")

_NBF = "auth:nbf:"
_FAMILY = "auth:fam:"
_SLACK_S = 120  # beyond the token lifetime and the clock leeway
_WARN_EVERY_S = 60.0  # one warning a minute while the cache is unreachable, not one a request
_warned_at = -_WARN_EVERY_S


def _ttl(s: Settings) -> int:
    return max(s.access_token_ttl_s, s.partner_token_ttl_s) + _SLACK_S


async def revoke_subject(cache: Cache, s: Settings, subject: str) -> None:
    """Refuse every token of ``subject`` issued until now (``iat`` < now + 1 s)."""
    await cache.set(_NBF + subject, int(clock.now().timestamp()) + 1, ex=_ttl(s))


async def end_session(cache: Cache, s: Settings, family: str) -> None:
    """Refuse every access token issued in this refresh-token family."""
    await cache.set(_FAMILY + family, 1, ex=_ttl(s))


async def check(cache: Cache, p: Principal) -> None:
    """Raise ``InvalidAccessToken`` when the token of ``p`` was revoked."""
    keys = [_NBF + p.subject]
    if p.session:
        keys.append(_FAMILY + p.session)
    try:
        values = await cache.mget(keys)
    except Exception as exc:  # any cache failure: see the module docstring
        _warn(exc)
        return
    not_before = values[0]
    if not_before is not None and p.issued_at < int(not_before):
        raise InvalidAccessToken("revoked")
    if len(values) > 1 and values[1] is not None:
        raise InvalidAccessToken("session ended")


def _warn(exc: Exception) -> None:
    global _warned_at
    if time.monotonic() - _warned_at >= _WARN_EVERY_S:
        _warned_at = time.monotonic()
        log.warning("revocation check skipped: cache unavailable (%s)", type(exc).__name__)
