"""What every ``loyalty`` command shares: the command record, a database session for a
one-off job, and exec'ing a real program (uvicorn, dramatiq) in place of this process."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from domain import migrations
from domain.config import ConfigError, Settings
from domain.db import scoped_context, tortoise_config
from domain.runtime import Runtime

Handler = Callable[[Settings, argparse.Namespace], int]


def _no_arguments(p: argparse.ArgumentParser) -> None:
    pass


@dataclass(frozen=True)
class Command:
    """One ``loyalty NAME``: what it runs, its one-line help and its arguments."""

    run: Handler
    help: str
    arguments: Callable[[argparse.ArgumentParser], object] = _no_arguments


def with_db(settings: Settings, job: Callable[[Runtime], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        async with scoped_context() as ctx:
            await ctx.init(config=tortoise_config(settings))
            await migrations.ensure_migrated(settings)
            return await job(Runtime.build(settings))

    return asyncio.run(go())


def exec_program(argv: list[str]) -> int:
    exe = shutil.which(
        argv[0], path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    )
    if exe is None:
        raise ConfigError(f"{argv[0]} is not installed in this environment")
    sys.stdout.flush()
    os.execv(exe, [exe, *argv[1:]])
    return 0  # not reached


async def check_migrated(s: Settings) -> None:
    async with scoped_context() as ctx:
        await ctx.init(config=tortoise_config(s))
        await migrations.ensure_migrated(s)
