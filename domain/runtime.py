"""What one process holds for its lifetime: settings, cipher, cache, keys, tokens, the
member-home cache."""

from __future__ import annotations

from dataclasses import dataclass

from domain.auth.keys import KeyRing
from domain.auth.tokens import TokenService
from domain.cache import Cache, create_cache
from domain.config import Settings
from domain.crypto import Cipher
from domain.feeds.feed_cache import FeedCache
from domain.members import home_cache
from domain.members.home_cache import HomeCache


@dataclass
class Runtime:
    settings: Settings
    cipher: Cipher
    cache: Cache
    keys: KeyRing
    tokens: TokenService
    home: HomeCache

    @classmethod
    def build(cls, settings: Settings, cache: Cache | None = None) -> Runtime:
        cipher = Cipher.from_settings(settings)
        keys = KeyRing(cipher, settings.key_refresh_interval_s)
        cache = cache or create_cache(settings)
        return cls(
            settings=settings,
            cipher=cipher,
            cache=cache,
            keys=keys,
            tokens=TokenService(settings, keys),
            home=HomeCache(cache, settings.home_cache_ttl_s),
        )

    @property
    def feed_cache(self) -> FeedCache:
        return FeedCache(self.cache, self.settings.feed_cache_ttl_s)

    def install(self) -> None:
        """This is the process's runtime: committed events for members forget their
        cached home answers and cached feeds in its cache."""
        home_cache.install(self.home, self.feed_cache.forget)

    def phone_index(self, e164: str) -> str:
        return self.cipher.blind_index(e164, purpose="phone")
