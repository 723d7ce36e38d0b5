"""Pure member rules: the phone as unified identity, profile values, card numbers with
a Luhn check digit, and the short-lived signed scan code. No I/O."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import phonenumbers

from domain.errors import (
    InvalidInput,
    InvalidPhone,
    MemberFrozen,
    ScanCodeExpired,
    ScanCodeInvalid,
)

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


# --- profile values ------------------------------------------------------------------


class Status(StrEnum):
    ACTIVE = "ACTIVE"
    FROZEN = "FROZEN"
    ERASED = "ERASED"
    MERGED = "MERGED"  # absorbed by another record of the same person


def refuse_frozen(status: str) -> None:
    """A FROZEN member earns no points, spends none and redeems or claims no coupons:
    MemberFrozen, whoever asks. The one check every such path calls."""
    if status == Status.FROZEN:
        raise MemberFrozen()


class Channel(StrEnum):
    STORE = "STORE"
    ECOMMERCE = "ECOMMERCE"
    MINI_PROGRAM = "MINI_PROGRAM"
    APP = "APP"


class CardStatus(StrEnum):
    ACTIVE = "ACTIVE"
    LOST = "LOST"
    REPLACED = "REPLACED"  # a number retired by a replacement (card history)


class Gender(StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    UNKNOWN = "UNKNOWN"


class IncomeBand(StrEnum):
    """Declared monthly income, yuan."""

    UNDER_3K = "UNDER_3K"
    FROM_3K_TO_6K = "FROM_3K_TO_6K"
    FROM_6K_TO_10K = "FROM_6K_TO_10K"
    FROM_10K_TO_20K = "FROM_10K_TO_20K"
    OVER_20K = "OVER_20K"


class IdentityChannel(StrEnum):
    MINI_PROGRAM_OPENID = "MINI_PROGRAM_OPENID"
    MINI_PROGRAM_UNIONID = "MINI_PROGRAM_UNIONID"
    ECOMMERCE_BUYER = "ECOMMERCE_BUYER"
    LEGACY_POS_CARD = "LEGACY_POS_CARD"


class ConsentPurpose(StrEnum):
    MARKETING_SMS = "MARKETING_SMS"
    MARKETING_PUSH = "MARKETING_PUSH"
    MARKETING_MINI_PROGRAM = "MARKETING_MINI_PROGRAM"
    MARKETING_EMAIL = "MARKETING_EMAIL"
    PERSONALISATION = "PERSONALISATION"
    DATA_SHARING = "DATA_SHARING"


NEW_TAG = "new"
MAX_NAME = 64


def clean_name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if len(name) > MAX_NAME:
        raise InvalidInput(f"Use at most {MAX_NAME} characters.", field="displayName")
    return name


def check_birthday(value: date, today: date) -> date:
    if value > today or value.year < today.year - 120:
        raise InvalidInput("Enter a real date of birth.", field="birthday")
    return value


def birth_month_day(value: date) -> str:
    """What the birthday campaigns match on (through a blind index): ``MM-DD``."""
    return f"{value.month:02d}-{value.day:02d}"


def clean_external_id(raw: str) -> str:
    text = (raw or "").strip()
    if not text or len(text) > 128 or any(c.isspace() for c in text):
        raise InvalidInput("An external id is 1-128 characters, no spaces.", field="externalId")
    return text


# --- card numbers ------------------------------------------------------------------------

CARD_PREFIX = "8"
CARD_LENGTH = 16


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # doubled: every second digit from the right of the full number
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and len(number) > 1 and luhn_digit(number[:-1]) == number[-1]


def new_card_number() -> str:
    body = CARD_PREFIX + "".join(str(secrets.randbelow(10)) for _ in range(CARD_LENGTH - 2))
    return body + luhn_digit(body)


def looks_like_card(text: str) -> bool:
    return len(text) == CARD_LENGTH and text.startswith(CARD_PREFIX) and luhn_valid(text)


# --- scan codes: <card number><expiry unix seconds><10-digit MAC>, all digits ------------

SCAN_CODE_LENGTH = CARD_LENGTH + 10 + 10


@dataclass(frozen=True)
class ScanCode:
    code: str
    expires_at: datetime


def _mac(key: bytes, payload: str) -> str:
    digest = hmac.new(key, f"scan\x00{payload}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**10:010d}"


def make_scan_code(key: bytes, card_number: str, expires_at: datetime) -> ScanCode:
    payload = f"{card_number}{int(expires_at.timestamp()):010d}"
    return ScanCode(code=payload + _mac(key, payload), expires_at=expires_at)


def looks_like_scan_code(text: str) -> bool:
    return len(text) == SCAN_CODE_LENGTH and text.isdigit()


def read_scan_code(key: bytes, code: str, now: datetime) -> str:
    """The card number a genuine, unexpired code names; ScanCodeInvalid / ScanCodeExpired."""
    text = (code or "").strip()
    if not looks_like_scan_code(text):
        raise ScanCodeInvalid(field="scanCode")
    payload, mac = text[:-10], text[-10:]
    if not hmac.compare_digest(mac, _mac(key, payload)):
        raise ScanCodeInvalid(field="scanCode")
    if int(payload[CARD_LENGTH:]) <= int(now.timestamp()):
        raise ScanCodeExpired(field="scanCode")
    return payload[:CARD_LENGTH]


# --- member references (what a partner has to find a member by) ----------------------


@dataclass(frozen=True)
class MemberRef:
    scan_code: str | None = None
    card_number: str | None = None
    phone: str | None = None
    identity_channel: str | None = None
    identity_external_id: str | None = None
    member_id: int | None = None
    query: str | None = None  # anything scanned or typed at the till
