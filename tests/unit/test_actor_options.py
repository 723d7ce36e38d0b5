"""An actor's own retry options survive binding; the JOB_* settings only fill in what an
actor leaves out (bind_actors used to overwrite every actor with the settings). The
schedule, `loyalty jobs` and the actor registry are one declaration per actor."""

from __future__ import annotations

import dramatiq.broker
from dramatiq.brokers.stub import StubBroker

import workers.actors
from domain.config import Settings
from workers.actors import base
from workers.broker import bind_actors

GLOBAL = {"job_max_retries": 7, "job_min_backoff_ms": 11, "job_max_backoff_ms": 13}


def test_an_actors_own_retry_options_win_and_the_settings_are_defaults(monkeypatch):
    # keep the process's broker and registry as they were once the test is done
    monkeypatch.setattr(dramatiq.broker, "global_broker", dramatiq.broker.global_broker)
    monkeypatch.setattr(base, "ACTORS", list(base.ACTORS))
    monkeypatch.setattr(base, "_DECLARED", dict(base._DECLARED))

    @base.job(queue_name="test-options", max_retries=1, min_backoff=5)
    def own_policy() -> None:
        pass

    @base.job(queue_name="test-options")
    def no_policy() -> None:
        pass

    monkeypatch.setattr(workers.actors, "ALL_ACTORS", [own_policy, no_policy])
    broker = StubBroker()
    bind_actors(broker, Settings(app_env="test", **GLOBAL))
    assert own_policy.broker is broker and no_policy.broker is broker
    assert own_policy.options == {"max_retries": 1, "min_backoff": 5, "max_backoff": 13}
    assert no_policy.options == {"max_retries": 7, "min_backoff": 11, "max_backoff": 13}

    # bound again under other settings: the declaration still wins, the defaults follow
    other = {"job_max_retries": 2, "job_min_backoff_ms": 3, "job_max_backoff_ms": 4}
    bind_actors(StubBroker(), Settings(app_env="test", **other))
    # its own min_backoff above the global max: never an inverted (empty) backoff window
    assert own_policy.options == {"max_retries": 1, "min_backoff": 5, "max_backoff": 5}
    assert no_policy.options == {"max_retries": 2, "min_backoff": 3, "max_backoff": 4}


def test_the_real_actors_keep_their_declared_retries():
    from workers.actors.notifications import release_deferred_messages
    from workers.actors.tiers import recompute_tier, tier_nightly_batch

    s = Settings(app_env="test", **GLOBAL)
    assert base.bound_options(recompute_tier, s) == {
        "max_retries": 5,
        "min_backoff": 1_000,
        "max_backoff": 60_000,
    }
    batch = base.bound_options(tier_nightly_batch, s)
    assert (batch["max_retries"], batch["min_backoff"], batch["max_backoff"]) == (3, 30_000, 30_000)
    assert base.bound_options(release_deferred_messages, s) == {
        "max_retries": 3,
        "min_backoff": 11,
        "max_backoff": 13,
    }


def test_one_declaration_gives_the_registry_the_schedule_and_the_job_names():
    from workers.scheduler import JOBS

    names = [job.name for job in JOBS]
    assert len(names) == len(set(names))  # `loyalty jobs run NAME` is unambiguous
    scheduled = {actor for _, actor in base.SCHEDULED}
    assert scheduled <= set(workers.actors.ALL_ACTORS)
    assert {job.fire.__self__ for job in JOBS if hasattr(job.fire, "__self__")} == scheduled
    assert "points-expire" in names and "tier-batch" in names and "outbox-sweep" in names
    assert len({a.actor_name for a in workers.actors.ALL_ACTORS}) == len(workers.actors.ALL_ACTORS)
