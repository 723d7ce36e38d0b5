"""The types' hooks (schema/hooks.py): every one a type declares is installed by a resolver
once the schema is imported, and a hook nobody installed fails loudly, never silently."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import pytest

import schema
from schema.hooks import Hook, HookNotInstalled


def _type_modules() -> list[str]:
    return [
        f"schema.{m.name}.types"
        for m in pkgutil.iter_modules(schema.__path__)
        if m.ispkg and importlib.util.find_spec(f"schema.{m.name}.types") is not None
    ]


def test_every_hook_a_type_declares_is_installed_once_the_schema_is_imported() -> None:
    declared = {
        f"{name}.{attr}": value
        for name in _type_modules()
        for attr, value in vars(importlib.import_module(name)).items()
        if isinstance(value, Hook)
    }
    assert len(declared) == 35  # the relation fields and resolve_nodes of the types
    assert [k for k, hook in sorted(declared.items()) if not hook.installed] == []
    assert set(map(id, declared.values())) <= set(map(id, Hook.declared))


def test_a_hook_nobody_installed_raises_and_a_second_install_is_refused() -> None:
    hook: Hook[[int], int] = Hook("test_only")
    try:
        with pytest.raises(HookNotInstalled, match="test_only"):
            hook(1)

        def double(n: int) -> int:
            return 2 * n

        assert hook.install(double) is double
        assert hook(21) == 42
        with pytest.raises(RuntimeError, match="installed twice"):
            hook.install(lambda n: n)
    finally:
        Hook.declared.remove(hook)
