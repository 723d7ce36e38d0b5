"""Every actor is declared once, with ``job``: its queue, its own retry options and, for a
periodic job, its schedule. Everything else reads those declarations: the broker binding
(``workers.broker.bind_actors``), the scheduler, ``loyalty jobs`` and dead-letter replay.
Adding an actor is one decorated function in its area's module.

Retry options written on an actor win; the JOB_MAX_RETRIES, JOB_MIN_BACKOFF_MS and
JOB_MAX_BACKOFF_MS settings are the defaults of those it leaves out (``bound_options``).

Actors are declared on a throwaway StubBroker so that importing them never makes
dramatiq build its default RabbitMQ broker; ``bind_actors`` then moves them to the broker
of the process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker

from domain.config import Settings

DECLARATION_BROKER = StubBroker()

RETRY_SETTINGS = {  # actor option -> the setting that is its default
    "max_retries": "job_max_retries",
    "min_backoff": "job_min_backoff_ms",
    "max_backoff": "job_max_backoff_ms",
}


@dataclass(frozen=True)
class Schedule:
    """When a periodic job fires (APScheduler trigger, Asia/Shanghai) and the lock slot
    (seconds) that keeps a second scheduler from firing it again."""

    name: str  # the job's name in `loyalty jobs`
    trigger: str  # "cron" or "interval"
    fields: dict[str, Any] = field(default_factory=dict)
    slot_s: int = 3600

    def describe(self) -> str:
        if self.trigger == "interval":
            return "every " + ", ".join(
                f"{v} {k if v != 1 else k.rstrip('s')}" for k, v in self.fields.items()
            )
        return "cron " + " ".join(f"{k}={v}" for k, v in self.fields.items()) + " Asia/Shanghai"


def cron(name: str, **fields: Any) -> Schedule:
    return Schedule(name, "cron", fields)


def every(name: str, *, seconds: int = 0, minutes: int = 0) -> Schedule:
    fields = {k: v for k, v in (("minutes", minutes), ("seconds", seconds)) if v}
    return Schedule(name, "interval", fields, slot_s=minutes * 60 + seconds)


ACTORS: list[dramatiq.Actor] = []  # in declaration order
SCHEDULED: list[tuple[Schedule, dramatiq.Actor]] = []
_DECLARED: dict[str, dict[str, Any]] = {}  # actor name -> the options written on it


def job(
    *, queue_name: str, schedule: Schedule | None = None, **options: Any
) -> Callable[[Callable[..., Any]], dramatiq.Actor]:
    """Declare an actor (and, with ``schedule``, a periodic job that sends it)."""

    def declare(fn: Callable[..., Any]) -> dramatiq.Actor:
        actor = dramatiq.actor(broker=DECLARATION_BROKER, queue_name=queue_name, **options)(fn)
        ACTORS.append(actor)
        _DECLARED[actor.actor_name] = dict(options)
        if schedule is not None:
            SCHEDULED.append((schedule, actor))
        return actor

    return declare


def bound_options(actor: dramatiq.Actor, settings: Settings) -> dict[str, Any]:
    """The actor's options on a broker: its own, and the JOB_* settings for retry options
    it does not give. An actor not declared with ``job`` keeps the options it has."""
    declared = _DECLARED.get(actor.actor_name, actor.options)
    defaults = {option: getattr(settings, name) for option, name in RETRY_SETTINGS.items()}
    options = {**defaults, **declared}
    # an actor's own min_backoff above the global max (or the reverse) would make the
    # backoff window empty: the wider of the two bounds wins, never an inverted pair
    if options.get("min_backoff", 0) > options.get("max_backoff", float("inf")):
        options["max_backoff"] = options["min_backoff"]
    return options
