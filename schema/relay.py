"""Relay helpers: opaque keyset cursors and page-size rules for connections."""

from __future__ import annotations

import base64

from domain.errors import InvalidInput

BAD_CURSOR = "The cursor is not valid for this list."


def encode_text_cursor(kind: str, payload: str) -> str:
    """An opaque cursor of list ``kind`` holding ``payload``."""
    return base64.urlsafe_b64encode(f"{kind}:{payload}".encode()).decode().rstrip("=")


def decode_text_cursor(kind: str, cursor: str) -> str:
    """The payload of a cursor of list ``kind``; InvalidInput (field ``after``) for
    anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise InvalidInput(BAD_CURSOR, field="after") from None
    prefix, sep, payload = raw.partition(":")
    if prefix != kind or not sep:
        raise InvalidInput(BAD_CURSOR, field="after")
    return payload


def encode_cursor(kind: str, key: int) -> str:
    return encode_text_cursor(kind, str(key))


def decode_cursor(kind: str, cursor: str | None) -> int | None:
    if cursor is None:
        return None
    key = decode_text_cursor(kind, cursor)
    try:
        value = int(key)
    except ValueError:
        raise InvalidInput(BAD_CURSOR, field="after") from None
    if not -(2**63) <= value < 2**63:  # past a BIGINT key: the driver raised, not missed
        raise InvalidInput(BAD_CURSOR, field="after")
    return value


def page_size(first: int | None, maximum: int, default: int = 20) -> int:
    if first is None:
        return default
    if first < 1 or first > maximum:
        raise InvalidInput(f"`first` must be between 1 and {maximum}.", field="first")
    return first
