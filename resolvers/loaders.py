"""Per-request DataLoaders: one query per field per request, not one per row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from schema.context import Info

K = TypeVar("K")
V = TypeVar("V")


def loader(
    info: Info, name: str, batch: Callable[[list[K]], Awaitable[Sequence[V]]]
) -> DataLoader[K, V]:
    """The request's loader called ``name`` (keys with an ``id`` are cached by it)."""
    loaders = info.context.loaders
    found = loaders.get(name)
    if found is None:

        async def load_fn(keys: list[K]) -> Sequence[V]:
            return await batch(list(keys))

        found = loaders[name] = DataLoader(load_fn=load_fn, cache_key_fn=_key)
    return found


def _key(key: Any) -> Any:
    return getattr(key, "id", key)


async def load_by_id(
    info: Info,
    name: str,
    fetch: Callable[[list[int]], Awaitable[Mapping[int, Any]]],
    pk: int | None,
) -> Any:
    """A row of a small reference table (store, region) by id, batched through ``fetch``
    (the area's store: ids -> rows by id)."""
    if pk is None:
        return None

    async def batch(ids: list[int]) -> list[Any]:
        rows = await fetch(ids)
        return [rows.get(i) for i in ids]

    return await loader(info, f"by_id.{name}", batch).load(pk)
