"""The member-home cache has one owner (``domain.members.home_cache``): nobody else names
its keys or forgets answers, and the owner does not depend on GraphQL."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWNER = ROOT / "domain" / "members" / "home_cache.py"


def _sources() -> list[Path]:
    layers = ("domain", "resolvers", "schema", "workers")
    files = [p for d in layers for p in (ROOT / d).rglob("*.py")]
    return [*files, ROOT / "server.py", ROOT / "serving.py"]


def test_only_the_owner_knows_the_keys_and_forgets():
    others = [p for p in _sources() if p != OWNER]
    assert others
    for path in others:
        text = path.read_text(encoding="utf-8")
        assert "home-gen" not in text and '"home:' not in text, path
        assert ".forget(" not in text, f"{path} forgets cached answers itself"
    owner = OWNER.read_text(encoding="utf-8")
    assert "home-gen" in owner and ".forget" in owner


def test_the_owner_imports_no_graphql():
    imported: set[str] = set()
    for node in ast.walk(ast.parse(OWNER.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    # it is hooked to the outbox by domain.runtime.Runtime.install, not by itself
    assert not {m for m in imported if m.split(".")[0] in ("graphql", "strawberry")}
