"""The per-request context every resolver sees."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from domain.auth.model import Principal
from domain.runtime import Runtime


@dataclass
class Context:
    viewer: Principal
    rt: Runtime
    client_ip: str
    publish: Callable[[], None] = lambda: None  # hand recorded events to the queue
    request: Any = None
    response: Any = None
    loaders: dict[str, Any] = field(default_factory=dict)  # per-request DataLoaders


Info = StrawberryInfo[Context, None]
