"""What one process holds for its lifetime: settings, cipher, cache, keys, tokens."""

from __future__ import annotations

from dataclasses import dataclass

from domain.auth.keys import KeyRing
from domain.auth.tokens import TokenService
from domain.cache import Cache, create_cache
from domain.config import Settings
from domain.crypto import Cipher


@dataclass
class Runtime:
    settings: Settings
    cipher: Cipher
    cache: Cache
    keys: KeyRing
    tokens: TokenService

    @classmethod
    def build(cls, settings: Settings, cache: Cache | None = None) -> Runtime:
        cipher = Cipher.from_settings(settings)
        keys = KeyRing(cipher, settings.key_refresh_interval_s)
        return cls(
            settings=settings,
            cipher=cipher,
            cache=cache or create_cache(settings),
            keys=keys,
            tokens=TokenService(settings, keys),
        )

    def phone_index(self, e164: str) -> str:
        return self.cipher.blind_index(e164, purpose="phone")
