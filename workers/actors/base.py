"""Actors are declared on a throwaway StubBroker so that importing them never makes
dramatiq build its default RabbitMQ broker; ``workers.broker.bind_actors`` then moves
them to the broker of the process."""

from __future__ import annotations

import functools

import dramatiq
from dramatiq.brokers.stub import StubBroker

DECLARATION_BROKER = StubBroker()

job = functools.partial(dramatiq.actor, broker=DECLARATION_BROKER)
