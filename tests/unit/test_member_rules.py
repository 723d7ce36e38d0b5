"""Pure member rules: card check digits and signed scan codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ScanCodeExpired, ScanCodeInvalid
from domain.members.model import (
    SCAN_CODE_LENGTH,
    luhn_digit,
    luhn_valid,
    make_scan_code,
    new_card_number,
    read_scan_code,
)

KEY = b"k" * 32
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_known_luhn_numbers():
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    assert luhn_digit("7992739871") == "3"


@given(st.integers(min_value=0, max_value=15), st.integers(min_value=1, max_value=9))
def test_any_single_digit_error_in_a_card_number_is_caught(pos, delta):
    number = new_card_number()
    assert len(number) == 16 and luhn_valid(number)
    wrong = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1 :]
    assert not luhn_valid(wrong)


def test_scan_code_round_trip_and_expiry():
    number = new_card_number()
    code = make_scan_code(KEY, number, NOW + timedelta(seconds=60))
    assert len(code.code) == SCAN_CODE_LENGTH and code.code.isdigit()
    assert read_scan_code(KEY, code.code, NOW) == number
    assert read_scan_code(KEY, code.code, NOW + timedelta(seconds=59)) == number
    with pytest.raises(ScanCodeExpired):
        read_scan_code(KEY, code.code, NOW + timedelta(seconds=60))
    with pytest.raises(ScanCodeInvalid):  # signed with another key
        read_scan_code(b"x" * 32, code.code, NOW)


@given(st.integers(min_value=0, max_value=SCAN_CODE_LENGTH - 1), st.integers(1, 9))
def test_any_changed_digit_of_a_scan_code_is_refused(pos, delta):
    code = make_scan_code(KEY, "8000000000000018", NOW + timedelta(seconds=60)).code
    altered = code[:pos] + str((int(code[pos]) + delta) % 10) + code[pos + 1 :]
    with pytest.raises(ScanCodeInvalid):  # the MAC covers the card number and the expiry
        read_scan_code(KEY, altered, NOW)
