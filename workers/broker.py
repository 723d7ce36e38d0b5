"""Broker choice by BROKER_URL: empty -> StubBroker (in-process), redis:// or amqp://.

Actors are declared in ``workers.actors``; ``bind_actors`` attaches every one of them
to the broker chosen here (``set_broker`` happens before actors are used).
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO

from domain.config import Settings


def make_broker(settings: Settings) -> dramatiq.Broker:
    url = settings.broker_url
    if not url:
        broker: dramatiq.Broker = StubBroker()
    elif url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=url)
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url)
    else:
        from domain.config import ConfigError

        raise ConfigError("BROKER_URL must start with redis:// or amqp:// (or be empty)")
    return broker


def bind_actors(broker: dramatiq.Broker) -> None:
    from workers.actors import ALL_ACTORS

    dramatiq.set_broker(broker)
    for actor in ALL_ACTORS:
        actor.broker = broker
        broker.declare_actor(actor)


def production_broker(settings: Settings) -> dramatiq.Broker:
    """The broker of a `dramatiq` worker process: its own loop, its own Tortoise."""
    from workers.middleware import RelayAfterActor, TortoiseOnWorkerLoop

    broker = make_broker(settings)
    broker.add_middleware(AsyncIO())
    broker.add_middleware(TortoiseOnWorkerLoop(settings))
    broker.add_middleware(RelayAfterActor())
    bind_actors(broker)
    return broker


def ping(broker: dramatiq.Broker) -> None:
    """Raise if the broker cannot be reached (for /readyz)."""
    if isinstance(broker, StubBroker):
        return
    client = getattr(broker, "client", None)
    if client is not None:  # Redis
        client.ping()
        return
    channel = getattr(broker, "channel", None)  # RabbitMQ: opens a connection
    if channel is not None:
        _ = channel.is_open
