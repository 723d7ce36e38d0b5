"""Message templates (Chinese, with variables) and the adapter interface. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Channel(StrEnum):
    SMS = "SMS"
    PUSH = "PUSH"
    MINI_PROGRAM = "MINI_PROGRAM"
    EMAIL = "EMAIL"


class Purpose(StrEnum):
    TRANSACTIONAL = "TRANSACTIONAL"
    MARKETING = "MARKETING"


class Urgency(StrEnum):
    """Whether a transactional message may wake a member up."""

    URGENT = "URGENT"  # sign-in codes, payments: sent at once, day and night
    DEFERRABLE = "DEFERRABLE"  # tier changes, reviews, reminders: held until quiet hours end


class Status(StrEnum):
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    SENT = "SENT"
    DEFERRED = "DEFERRED"  # quiet hours
    SUPPRESSED = "SUPPRESSED"  # the rules said no
    FAILED = "FAILED"  # the provider will never take it


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
    # points_expiring: {date} is the last day the points can be used (Asia/Shanghai)
    (
        "points_expiring",
        Channel.SMS,
    ): "【鲜选会员】您有 {points} 积分有效期至 {date}（当日 24 时后失效），快来兑换好礼吧。",
    (
        "points_expiring",
        Channel.PUSH,
    ): "您有 {points} 积分有效期至 {date}（当日 24 时后失效），快来兑换好礼吧。",
    ("points_expiring", Channel.MINI_PROGRAM): "{points} 积分有效期至 {date}",
    (
        "points_expiring",
        Channel.EMAIL,
    ): "您有 {points} 积分有效期至 {date}（当日 24 时后失效），快来兑换好礼吧。",
    ("coupon_expiring", Channel.SMS): "【鲜选会员】您的「{name}」将于 {date} 到期，别忘了使用。",
    ("coupon_expiring", Channel.PUSH): "您的「{name}」将于 {date} 到期，别忘了使用。",
    ("coupon_expiring", Channel.MINI_PROGRAM): "「{name}」{date} 到期",
    ("coupon_expiring", Channel.EMAIL): "您的「{name}」将于 {date} 到期，别忘了使用。",
}

# each template's urgency; a template missing here is DEFERRABLE (it waits for morning
# rather than wake anyone: a new urgent one must say so here)
URGENCY: dict[str, Urgency] = {
    "otp": Urgency.URGENT,
    "tier_up": Urgency.DEFERRABLE,
    "tier_down": Urgency.DEFERRABLE,
    "tier_review": Urgency.DEFERRABLE,
    "points_expiring": Urgency.DEFERRABLE,
    "coupon_expiring": Urgency.DEFERRABLE,
}


def urgency_of(template: str) -> Urgency:
    return URGENCY.get(template, Urgency.DEFERRABLE)


# the consent purpose a marketing message on each channel needs
MARKETING_CONSENT = {
    Channel.SMS: "MARKETING_SMS",
    Channel.PUSH: "MARKETING_PUSH",
    Channel.MINI_PROGRAM: "MARKETING_MINI_PROGRAM",
    Channel.EMAIL: "MARKETING_EMAIL",
}


@dataclass(frozen=True)
class Decision:
    status: str  # QUEUED / DEFERRED / SUPPRESSED
    reason: str = ""
    send_after: datetime | None = None


def parse_quiet_hours(text: str) -> tuple[time, time]:
    start, _, end = text.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def quiet_until(now: datetime, start: time, end: time) -> datetime | None:
    """End of the quiet period ``now`` falls in (Asia/Shanghai), or None outside it."""
    local = now.astimezone(SHANGHAI)
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=SHANGHAI).astimezone(UTC)


def hold_for_quiet_hours(urgency: Urgency, now: datetime, quiet: tuple[time, time]) -> Decision:
    """A transactional message: urgent ones go at once; the others, sent in quiet hours,
    wait until they end."""
    until = None if urgency is Urgency.URGENT else quiet_until(now, *quiet)
    return Decision("QUEUED") if until is None else Decision("DEFERRED", "quiet hours", until)


def decide(
    *,
    purpose: Purpose,
    channel: Channel,
    consented: bool,
    sent_in_week: int,
    weekly_cap: int,
    now: datetime,
    quiet: tuple[time, time],
    urgency: Urgency = Urgency.URGENT,
) -> Decision:
    """Whether a message goes now, later or not at all, and why. Transactional messages
    (codes, ticket updates, tier changes) skip the marketing rules (consent, cap) and
    keep quiet hours unless ``urgency`` is URGENT; marketing always keeps them."""
    if purpose is Purpose.TRANSACTIONAL:
        return hold_for_quiet_hours(urgency, now, quiet)
    if not consented:
        return Decision("SUPPRESSED", f"no consent for {MARKETING_CONSENT[channel]}")
    if sent_in_week >= weekly_cap:
        return Decision("SUPPRESSED", f"frequency cap: {weekly_cap} marketing {channel} a week")
    until = quiet_until(now, *quiet)
    if until is not None:
        return Decision("DEFERRED", "quiet hours", until)
    return Decision("QUEUED")


class UnknownTemplate(KeyError):
    pass


def render(template: str, channel: Channel, variables: Mapping[str, object]) -> str:
    try:
        text = TEMPLATES[(template, channel)]
    except KeyError:
        raise UnknownTemplate(f"{template}/{channel}") from None
    return text.format(**variables)


class ProviderError(RuntimeError):
    """The provider refused the message for now (the job retries, then dead-letters it)."""


class PermanentProviderError(ProviderError):
    """The provider will never take this message (no subscription, unknown address):
    the message is marked FAILED with the reason and is not retried."""


class Adapter(Protocol):
    """One delivery channel. ``send`` returns the provider's message id."""

    name: str

    async def send(
        self, recipient: str, body: str, template: str, variables: dict[str, Any]
    ) -> str: ...
