"""Message templates (Chinese, with variables) and the adapter interface. No I/O."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class Channel(StrEnum):
    SMS = "SMS"
    PUSH = "PUSH"
    MINI_PROGRAM = "MINI_PROGRAM"
    EMAIL = "EMAIL"


class Purpose(StrEnum):
    TRANSACTIONAL = "TRANSACTIONAL"
    MARKETING = "MARKETING"


TEMPLATES: dict[tuple[str, Channel], str] = {
    ("otp", Channel.SMS): "【鲜选会员】验证码 {code}，{minutes} 分钟内有效。请勿告诉他人。",
}


class UnknownTemplate(KeyError):
    pass


def render(template: str, channel: Channel, variables: dict[str, object]) -> str:
    try:
        text = TEMPLATES[(template, channel)]
    except KeyError:
        raise UnknownTemplate(f"{template}/{channel}") from None
    return text.format(**variables)


class Adapter(Protocol):
    """One delivery channel. ``send`` returns the provider's message id."""

    name: str

    async def send(self, recipient: str, body: str) -> str: ...
