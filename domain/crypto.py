"""Encryption of personal data at rest and keyed hashes for exact lookup.

Ciphertext format (text column): ``<key id>:<base64(nonce || AES-GCM ciphertext)>``.
The key id lets old rows stay readable after ``DATA_KEY_ID`` moves to a new key.
The blind index is HMAC-SHA256 with a separate key, so equal phones can be found
without decrypting anything and without the hash being reversible by brute force
by anyone who lacks the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.config import ConfigError, Settings


class Cipher:
    def __init__(self, keys: dict[str, bytes], current_id: str, hmac_key: bytes) -> None:
        if current_id not in keys:
            raise ConfigError(f"DATA_KEY_ID {current_id!r} is not in DATA_KEYS")
        for kid, key in keys.items():
            if len(key) != 32:
                raise ConfigError(f"DATA_KEYS[{kid!r}] must be 32 bytes (base64)")
        if len(hmac_key) < 32:
            raise ConfigError("HMAC_KEY must be at least 32 bytes (base64)")
        self._aeads = {kid: AESGCM(key) for kid, key in keys.items()}
        self._current = current_id
        self._hmac_key = hmac_key

    @classmethod
    def from_settings(cls, settings: Settings) -> Cipher:
        try:
            keys = {kid: base64.b64decode(v) for kid, v in settings.data_keys.items()}
            return cls(keys, settings.data_key_id, base64.b64decode(settings.hmac_key))
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"DATA_KEYS / HMAC_KEY are not valid base64: {exc}") from None

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        """Encrypt; ``context`` (e.g. the column name) is bound as associated data."""
        nonce = os.urandom(12)
        sealed = self._aeads[self._current].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{self._current}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str = "") -> str:
        kid, _, body = token.partition(":")
        raw = base64.b64decode(body)
        return self._aeads[kid].decrypt(raw[:12], raw[12:], context.encode()).decode()

    def blind_index(self, value: str, *, purpose: str) -> str:
        mac = hmac.new(self._hmac_key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
        return mac.hexdigest()
