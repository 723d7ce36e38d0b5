"""Pure member rules not covered by test_member_rules.py / test_rules.py: profile values
(name, birthday, external ids), what the till may type or scan, and the birthday key
the campaigns match on (DOMAIN.md, "Members, identity, cards")."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.members.model import (
    CARD_LENGTH,
    MAX_NAME,
    birth_month_day,
    check_birthday,
    clean_external_id,
    clean_name,
    looks_like_card,
    looks_like_scan_code,
    new_card_number,
)

TODAY = date(2026, 11, 25)


def test_names_are_trimmed_with_inner_spaces_collapsed_and_bounded():
    assert clean_name("  王   小明 ") == "王 小明"
    assert clean_name("") == ""
    assert clean_name("李" * MAX_NAME) == "李" * MAX_NAME
    with pytest.raises(InvalidInput) as err:
        clean_name("李" * (MAX_NAME + 1))
    assert err.value.field == "displayName"


def test_a_birthday_is_a_real_past_date():
    assert check_birthday(date(1990, 2, 28), TODAY) == date(1990, 2, 28)
    assert check_birthday(TODAY, TODAY) == TODAY  # born today
    for bad in (date(2026, 11, 26), date(1905, 1, 1)):
        with pytest.raises(InvalidInput):
            check_birthday(bad, TODAY)


def test_birthday_campaigns_match_month_and_day_whatever_the_year():
    assert birth_month_day(date(1990, 3, 7)) == "03-07"
    assert birth_month_day(date(2000, 3, 7)) == birth_month_day(date(1985, 3, 7))
    assert birth_month_day(date(1996, 2, 29)) == "02-29"


def test_channel_external_ids_are_one_token():
    assert clean_external_id("  oAbC123 ") == "oAbC123"
    for bad in ("", "   ", "a b", "x" * 129):
        with pytest.raises(InvalidInput):
            clean_external_id(bad)


@given(st.integers(0, 10))
def test_new_card_numbers_are_recognised_as_cards_and_not_as_scan_codes(_):
    number = new_card_number()
    assert len(number) == CARD_LENGTH and looks_like_card(number)
    assert not looks_like_scan_code(number)


def test_what_is_not_a_card_number():
    number = new_card_number()
    assert not looks_like_card(number[:-1])  # too short
    assert not looks_like_card("9" + number[1:])  # another prefix
    wrong_check = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not looks_like_card(wrong_check)
