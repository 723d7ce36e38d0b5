"""Personal-data encryption: key ids, rotation, associated data."""

from __future__ import annotations

import os

import pytest
from cryptography.exceptions import InvalidTag

from domain.crypto import Cipher


def test_rotation_reads_old_rows_and_writes_new():
    k1, k2, h = os.urandom(32), os.urandom(32), os.urandom(32)
    old = Cipher({"k1": k1}, "k1", h)
    token = old.encrypt("+8613800138000", context="members.phone")
    assert token.startswith("k1:") and "13800138000" not in token
    new = Cipher({"k1": k1, "k2": k2}, "k2", h)
    assert new.decrypt(token, context="members.phone") == "+8613800138000"
    assert new.encrypt("x").startswith("k2:")
    assert old.blind_index("a", purpose="phone") == new.blind_index("a", purpose="phone")


def test_context_is_bound():
    c = Cipher({"k": os.urandom(32)}, "k", os.urandom(32))
    token = c.encrypt("secret", context="members.phone")
    with pytest.raises(InvalidTag):
        c.decrypt(token, context="messages.recipient")
