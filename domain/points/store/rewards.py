"""Rewards and their redemptions (``domain.points.services``); the reward stock's
conditional update is ``take_reward_stock`` in the package."""

from __future__ import annotations

from typing import Any

from domain.points.tables import Reward, RewardRedemption


async def redemption_of_request(member_id: int, request_id: str) -> RewardRedemption | None:
    """The member's redemption made with ``request_id`` (its reward loaded), if any."""
    return await RewardRedemption.get_or_none(
        member_id=member_id, request_id=request_id
    ).select_related("reward")


async def active_reward(code: str) -> Reward | None:
    return await Reward.get_or_none(code=code, active=True)


async def redemptions_of(member_id: int, reward_id: int) -> list[RewardRedemption]:
    """The member's redemptions of the reward (for its per-member limit)."""
    return await RewardRedemption.filter(member_id=member_id, reward_id=reward_id)


async def add_redemption(**fields: Any) -> RewardRedemption:
    return await RewardRedemption.create(**fields)


async def save_outcomes(row: RewardRedemption) -> None:
    """What the redemption delivered (``row.outcomes``)."""
    await row.save(update_fields=["outcomes"])


async def upsert_reward(code: str, values: dict[str, Any]) -> Reward:
    """The reward ``code`` created or replaced with ``values``."""
    row, _ = await Reward.update_or_create(code=code, defaults=values)
    return row


async def active_rewards() -> list[Reward]:
    """The catalogue: active rewards, cheapest first."""
    return await Reward.filter(active=True).order_by("points_cost", "id")
