"""Relay helpers: opaque keyset cursors and page-size rules for connections."""

from __future__ import annotations

import base64

from domain.errors import InvalidInput


def encode_cursor(kind: str, key: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, key = raw.partition(":")
        if prefix != kind:
            raise ValueError
        value = int(key)
        if not -(2**63) <= value < 2**63:  # past a BIGINT key: the driver raised, not missed
            raise ValueError
        return value
    except ValueError:
        raise InvalidInput("The cursor is not valid for this list.", field="after") from None


def page_size(first: int | None, maximum: int, default: int = 20) -> int:
    if first is None:
        return default
    if first < 1 or first > maximum:
        raise InvalidInput(f"`first` must be between 1 and {maximum}.", field="first")
    return first
