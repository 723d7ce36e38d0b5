"""Event -> actors: the one place that says "after X, do Y"."""

from __future__ import annotations

import dramatiq

from domain.notifications.services import TOPIC_REQUESTED
from workers.actors import send_notification

ROUTES: dict[str, list[tuple[dramatiq.Actor, str]]] = {
    # topic: [(actor, the payload key passed as its first argument)]
    TOPIC_REQUESTED: [(send_notification, "message_id")],
}


def messages_for(topic: str, payload: dict, event_id: int) -> list[tuple[dramatiq.Actor, dict]]:
    return [
        (actor, {**{key: payload[key]}, "event_id": event_id})
        for actor, key in ROUTES.get(topic, [])
    ]
