"""The ``loyalty`` ops CLI: one entry point for every operational task (``loyalty --help``).

The commands live by concern: ``processes`` (dev, serve, worker, scheduler, migrations,
demo data), ``access`` (partners, staff, keys, lockouts), ``data`` (catalogue, ledger,
dead letters, jobs), ``recs`` (recommendations measured offline). Processes are started
by exec'ing their real programs (uvicorn, dramatiq). Only the commands that need them
import the web server (``serve``, ``dev``) or the workers and their queue framework
(``jobs``, ``dead-letters``), inside the command, so the others never load them.
"""

from __future__ import annotations

import argparse
import sys

from domain.cli import access, data, processes, recs
from domain.cli.base import Command
from domain.config import ConfigError, get_settings

COMMANDS: dict[str, Command] = {
    **processes.COMMANDS,
    **access.COMMANDS,
    **data.COMMANDS,
    **recs.COMMANDS,
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="loyalty", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        command.arguments(sub.add_parser(name, help=command.help, description=command.help))
    return p


def run(argv: list[str] | None = None) -> int:
    from domain.errors import DomainError
    from domain.migrations import NotMigrated

    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command].run(get_settings(), args)
    except (ConfigError, NotMigrated, DomainError) as exc:
        for line in str(exc).splitlines():  # bad settings: one line per variable
            print(f"loyalty {args.command}: {line}", file=sys.stderr)
        return 2
