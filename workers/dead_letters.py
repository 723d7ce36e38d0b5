"""Replaying dead letters: the job is sent again, as it was, to its actor's queue."""

from __future__ import annotations

from domain.events import dead_letters


async def replay(dead_id: int) -> str:
    """Send dead letter ``dead_id`` again (once); returns the actor's name."""
    import asyncio

    from workers.actors import ALL_ACTORS

    row = await dead_letters.take_for_replay(dead_id)
    actor = next((a for a in ALL_ACTORS if a.actor_name == row.actor), None)
    if actor is None:
        raise LookupError(f"no actor {row.actor!r} in this version")
    await asyncio.to_thread(actor.send_with_options, args=tuple(row.args), kwargs=row.kwargs)
    return row.actor
