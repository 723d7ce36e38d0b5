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

        broker = RedisBroker(
            url=url,
            heartbeat_timeout=settings.redis_broker_heartbeat_ms,
            maintenance_chance=settings.redis_broker_maintenance_chance,
        )
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url)
    else:
        from domain.config import ConfigError

        raise ConfigError("BROKER_URL must start with redis:// or amqp:// (or be empty)")
    return broker


def bind_actors(broker: dramatiq.Broker, settings: Settings) -> None:
    """Attach every actor to ``broker`` with its options: the retry options written on
    the actor, and JOB_MAX_RETRIES, JOB_MIN_BACKOFF_MS, JOB_MAX_BACKOFF_MS for those it
    leaves out (``workers.actors.base.bound_options``)."""
    from workers.actors import ALL_ACTORS
    from workers.actors.base import bound_options

    dramatiq.set_broker(broker)
    for actor in ALL_ACTORS:
        actor.broker = broker
        actor.options = bound_options(actor, settings)
        broker.declare_actor(actor)


def production_broker(settings: Settings) -> dramatiq.Broker:
    """The broker of a `dramatiq` worker process: its own loop, its own Tortoise."""
    from workers.middleware import RelayAfterActor, TortoiseOnWorkerLoop, add_dead_letters

    broker = make_broker(settings)
    broker.add_middleware(AsyncIO())
    broker.add_middleware(TortoiseOnWorkerLoop(settings))
    broker.add_middleware(RelayAfterActor())
    add_dead_letters(broker)
    bind_actors(broker, settings)
    return broker


def queue_depth(broker: dramatiq.Broker) -> dict[str, int]:
    """Messages waiting per queue (Redis and the in-process broker; {} where unknown)."""
    from dramatiq.brokers.redis import RedisBroker

    depth: dict[str, int] = {}
    for name in sorted(broker.get_declared_queues()):
        if isinstance(broker, StubBroker):
            depth[name] = broker.queues[name].qsize() if name in broker.queues else 0
        elif isinstance(broker, RedisBroker):  # the queue list of the namespace
            depth[name] = int(broker.client.llen(f"{broker.namespace}:{name}"))
    return depth


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
