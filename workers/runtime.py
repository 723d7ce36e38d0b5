"""The Runtime that actors use, set once per process by whoever boots the workers."""

from __future__ import annotations

from domain.runtime import Runtime

_current: Runtime | None = None


def set_runtime(rt: Runtime | None) -> None:
    global _current
    _current = rt
    if rt is not None:
        rt.install()


def runtime() -> Runtime:
    if _current is None:
        raise RuntimeError("worker runtime not initialised (is the Tortoise middleware on?)")
    return _current
