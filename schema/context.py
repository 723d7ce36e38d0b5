"""The per-request context every resolver sees."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from domain.auth.model import Principal
from domain.runtime import Runtime
from resolvers.loaders import Loaders


@dataclass
class Context:
    viewer: Principal
    rt: Runtime
    client_ip: str
    publish: Callable[[], None] = lambda: None  # hand recorded events to the queue
    request: Any = None
    response: Any = None
    loaders: Loaders = field(init=False)  # fresh per request: one batch per relation

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.rt.settings)


Info = StrawberryInfo[Context, None]
