"""What a type's relation fields and ``resolve_nodes`` call, provided by the resolvers layer.

The resolvers import the types (to build them), so the types cannot import the resolvers
(import-linter contract "schema types import no resolvers"). A type module declares each
function it needs as a typed ``Hook``; the resolver that implements it installs itself with
``@t.<hook>.install``. The resolver modules are imported with the schema (``schema/*/fields.py``
wires them into the root fields), so every hook is installed before the first request;
``tests/unit/test_schema_hooks.py`` checks that none is left out::

    # schema/members/types.py
    card_of: Hook[[Info, MemberView], Awaitable[Card | None]] = Hook("card_of")
    ...
        async def card(self, info: strawberry.Info) -> Card | None:
            return await card_of(info, self.view)

    # resolvers/members.py
    @t.card_of.install
    async def card_of(info: Info, v: MemberView) -> t.Card | None: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class HookNotInstalled(RuntimeError):
    """A type called a hook whose resolver module was never imported (a wiring bug)."""


class Hook(Generic[P, R]):
    """One function a type calls; its resolver installs the implementation, once."""

    declared: list[Hook[..., Any]] = []  # every hook, so a test can check all are installed

    def __init__(self, name: str) -> None:
        self.name = name
        self._fn: Callable[P, R] | None = None
        Hook.declared.append(self)

    @property
    def installed(self) -> bool:
        return self._fn is not None

    def install(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Decorator for the resolver that implements this hook (returns it unchanged)."""
        if self._fn is not None and self._fn is not fn:
            raise RuntimeError(f"hook {self.name} is installed twice")
        self._fn = fn
        return fn

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._fn is None:
            raise HookNotInstalled(f"hook {self.name}: no resolver installed it")
        return self._fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, installed={self.installed})"
