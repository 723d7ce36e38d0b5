"""Card rows: the card of a member (one per member), the numbers it had before."""

from __future__ import annotations

from datetime import datetime

from domain.members.tables import Card, CardHistory


async def card_by_number(number: str) -> Card | None:
    """The card with this current number, its member loaded with it."""
    return await Card.get_or_none(number=number).select_related("member")


async def number_was_replaced(number: str) -> bool:
    """Did a card carry this number before it was replaced?"""
    return await CardHistory.exists(number=number)


async def lock_card(member_id: int) -> Card | None:
    """The member's card under a row lock (inside the caller's transaction)."""
    return await Card.select_for_update().get_or_none(member_id=member_id)


async def save_card(card: Card, *fields: str) -> None:
    """Write the given fields of a (locked) card."""
    await card.save(update_fields=list(fields))


async def add_card_history(
    *, card_id: int, number: str, status: str, issued_at: datetime, ended_at: datetime
) -> None:
    await CardHistory.create(
        card_id=card_id, number=number, status=status, issued_at=issued_at, ended_at=ended_at
    )


async def number_taken(number: str) -> bool:
    """Is the number on a card now, or was it on one before?"""
    return await Card.exists(number=number) or await CardHistory.exists(number=number)
