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
    ("tier_up", Channel.SMS): "【鲜选会员】恭喜您升级为{tier}！积分倍率与专属权益已生效。",
    (
        "tier_down",
        Channel.SMS,
    ): "【鲜选会员】您的会员等级已调整为{tier}。近 12 个月消费达标即可再升级。",
    (
        "tier_review",
        Channel.SMS,
    ): "【鲜选会员】您的会员等级将于 {date} 复核，届时未达保级标准将调整。",
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
