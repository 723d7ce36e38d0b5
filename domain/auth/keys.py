"""JWT signing keys: Ed25519 (EdDSA), identified by ``kid``, rotatable without downtime.

The newest non-retired key signs; every non-retired key verifies. Processes reload
the ring every ``KEY_REFRESH_INTERVAL_S`` and at once (at most once a second) when a
token names a ``kid`` they have not seen, so a key created by ``loyalty key-rotate``
in one process is trusted everywhere before anyone signs with it for long.
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain import clock
from domain.auth import store
from domain.crypto import Cipher

if TYPE_CHECKING:
    from domain.auth.tables import SigningKey

ALGORITHM = "EdDSA"
_CONTEXT = "signing_keys.private"


@dataclass
class _Signer:
    kid: str
    key: Ed25519PrivateKey


class KeyRing:
    def __init__(self, cipher: Cipher, refresh_interval_s: int = 60) -> None:
        self._cipher = cipher
        self._public: dict[str, Ed25519PublicKey] = {}
        self._signer: _Signer | None = None
        self._loaded_at = 0.0
        self._refresh_interval_s = refresh_interval_s

    async def load(self) -> None:
        rows = await store.live_signing_keys()
        if not rows:
            rows = await _first_key(self._cipher)
        self._public = {}
        for r in rows:
            public = serialization.load_pem_public_key(r.public_pem.encode())
            assert isinstance(public, Ed25519PublicKey)  # the keys this module makes
            self._public[r.kid] = public
        newest = rows[-1]
        pem = self._cipher.decrypt(newest.private_enc, context=_CONTEXT).encode()
        key = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(key, Ed25519PrivateKey)
        self._signer = _Signer(newest.kid, key)
        self._loaded_at = time.monotonic()

    async def maybe_reload(self) -> None:
        if time.monotonic() - self._loaded_at > self._refresh_interval_s:
            await self.load()

    async def public_key(self, kid: str) -> Ed25519PublicKey | None:
        key = self._public.get(kid)
        if key is None and time.monotonic() - self._loaded_at > 1:  # a key made elsewhere
            await self.load()
            key = self._public.get(kid)
        return key

    async def signer(self) -> tuple[str, Ed25519PrivateKey]:
        await self.maybe_reload()
        if self._signer is None:
            await self.load()
        assert self._signer is not None
        return self._signer.kid, self._signer.key


async def _first_key(cipher: Cipher) -> list[SigningKey]:
    """The first key of a new database, made once even when several processes start
    together (a transaction-scoped advisory lock on PostgreSQL; SQLite is one process)."""
    async with store.key_creation_lock():
        rows = await store.live_signing_keys()
        return rows or [await create_key(cipher)]


async def create_key(cipher: Cipher) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return await store.add_signing_key(
        kid=f"k{clock.now():%Y%m%d}-{secrets.token_hex(4)}",
        algorithm=ALGORITHM,
        public_pem=public_pem,
        private_enc=cipher.encrypt(private_pem, context=_CONTEXT),
        created_at=clock.now(),
    )


async def rotate(cipher: Cipher, *, max_token_ttl_s: int) -> tuple[SigningKey, list[str]]:
    """Create a new signing key; retire keys superseded longer ago than any token lives.

    Returns the new key and the kids retired now. A key is retired only when every token
    it signed has expired, so rotation never signs anybody out.
    """
    new = await create_key(cipher)
    cutoff = clock.now() - timedelta(seconds=max_token_ttl_s)
    live = await store.live_signing_keys()
    retired: list[str] = []
    for older, newer in itertools.pairwise(live):
        if newer.created_at <= cutoff:
            await store.retire_signing_key(older.kid, clock.now())
            retired.append(older.kid)
    return new, retired
