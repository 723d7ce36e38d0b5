"""Brute-force throttle for secrets checked at sign-in: staff passwords and partner
client secrets.

Counted in the runtime cache (Redis in production), so every API process shares the
counters. Two scopes are counted for each attempt: the account (a staff email or a
partner client id, whether or not it exists, so an answer never tells which accounts
exist) and the client address, counted apart for staff passwords and for partner
secrets: wrong staff passwords from an address never hold up a partner's right secret
from it (a shop's POS behind the same NAT as its staff), nor the other way round.

* The first ``SIGNIN_FREE_ATTEMPTS`` failures of an account (``SIGNIN_IP_FREE_ATTEMPTS``
  of an address) in ``SIGNIN_WINDOW_S`` are free. Every further attempt must first take
  the scope's one *slot*, held ``SIGNIN_DELAY_BASE_S * 2**k`` seconds (capped at
  ``SIGNIN_DELAY_MAX_S``), so the delay between checked attempts doubles per failure.
* ``SIGNIN_LOCKOUT_ATTEMPTS`` failures lock the account for ``SIGNIN_LOCKOUT_S`` or until
  an admin lifts the lock (``lift``); while locked even the right secret is refused.
* An attempt is counted (``INCR``) before its secret is checked, so attempts sent side by
  side, in several requests or as aliases of one, each get their own number; an attempt
  refused for want of a slot is not counted and costs no hashing.
* A success resets the account's counters and takes back its count from the address.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from domain.cache import Cache, hit
from domain.config import Settings
from domain.errors import RateLimited


class AccountKind(StrEnum):
    STAFF = "staff"
    PARTNER = "partner"


@dataclass(frozen=True)
class _Scope:
    key: str  # "acct:staff:<digest>" / "ip:staff:<address>"
    free: int

    @property
    def count(self) -> str:
        return f"signin:n:{self.key}"

    @property
    def slot(self) -> str:
        return f"signin:slot:{self.key}"


@dataclass
class Ticket:
    """One admitted attempt: which scopes counted it, and the account's count."""

    account: _Scope
    address: _Scope
    account_count: int = 0
    taken: list[_Scope] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)


def account_key(kind: AccountKind, name: str) -> str:
    """The account's key in the cache: a digest, so no email sits in Redis in clear."""
    normal = name.strip().lower() if kind is AccountKind.STAFF else name.strip()
    digest = hashlib.sha256(f"{kind.value}:{normal}".encode()).hexdigest()[:32]
    return f"acct:{kind.value}:{digest}"


def _lock(account: _Scope) -> str:
    return f"signin:lock:{account.key}"


def _delay(s: Settings, count: int, free: int) -> int:
    return min(s.signin_delay_base_s * 2 ** min(count - free - 1, 30), s.signin_delay_max_s)


async def admit(cache: Cache, s: Settings, kind: AccountKind, name: str, client_ip: str) -> Ticket:
    """Count one attempt, or raise ``RateLimited`` (locked, or waiting for a slot)."""
    ticket = Ticket(
        account=_Scope(account_key(kind, name), s.signin_free_attempts),
        address=_Scope(f"ip:{kind.value}:{client_ip[:64]}", s.signin_ip_free_attempts),
    )
    locked_for = await cache.ttl(_lock(ticket.account))
    if locked_for != -2:  # -2: no such key
        raise RateLimited(_LOCKED, retry_after_s=locked_for if locked_for > 0 else 1)
    for scope in (ticket.address, ticket.account):
        count = await _count(cache, scope.count, s.signin_window_s)
        ticket.taken.append(scope)
        if scope is ticket.account:
            ticket.account_count = count
        if count > scope.free:
            delay = _delay(s, count, scope.free)
            if not await cache.set(scope.slot, 1, ex=delay, nx=True):
                wait = await cache.ttl(scope.slot)
                await _give_back(cache, ticket)
                raise RateLimited(_SLOW_DOWN, retry_after_s=max(wait, 1))
            ticket.slots.append(scope.slot)
    return ticket


async def _count(cache: Cache, key: str, window_s: int) -> int:
    count, _left = await hit(cache, key, window_s)
    return count


async def _give_back(cache: Cache, ticket: Ticket) -> None:
    """Uncount an attempt that was refused before its secret was checked."""
    for scope in ticket.taken:
        await cache.incr(scope.count, -1)
    if ticket.slots:
        await cache.delete(*ticket.slots)


async def failed(cache: Cache, s: Settings, ticket: Ticket) -> bool:
    """Record a wrong secret; True when this failure locked the account."""
    if ticket.account_count < s.signin_lockout_attempts:
        return False
    return bool(await cache.set(_lock(ticket.account), 1, ex=s.signin_lockout_s, nx=True))


async def succeeded(cache: Cache, ticket: Ticket) -> None:
    await cache.delete(ticket.account.count, ticket.account.slot)
    await cache.incr(ticket.address.count, -1)


async def lift(cache: Cache, kind: AccountKind, name: str) -> bool:
    """Lift an account's lock and forget its failures; True when it was locked."""
    key = account_key(kind, name)
    scope = _Scope(key, 0)
    lifted = await cache.delete(_lock(scope))
    await cache.delete(scope.count, scope.slot)
    return bool(lifted)


_LOCKED = "Too many failed sign-ins: try again later or ask an administrator."
_SLOW_DOWN = "Too many failed sign-ins: wait before trying again."
