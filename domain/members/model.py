"""Pure member rules: the phone number as unified identity."""

from __future__ import annotations

import phonenumbers

from domain.errors import InvalidPhone

MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def normalize_phone(raw: str) -> str:
    """A mainland China mobile number in E.164 (``+8613800138000``) or InvalidPhone."""
    text = (raw or "").strip()
    if not text or len(text) > 32:
        raise InvalidPhone(field="phone")
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidPhone(field="phone") from None
    if (
        number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in MOBILE_TYPES
    ):
        raise InvalidPhone(field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """``+8613812345678`` -> ``138****5678``."""
    national = e164.removeprefix("+86")
    return f"{national[:3]}****{national[-4:]}"
