"""Commands over the data and the jobs: catalogue import, ledger check, dead letters and
running a scheduled job once."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from domain.cli.base import Command, with_db
from domain.config import ConfigError, Settings
from domain.errors import InvalidInput
from domain.runtime import Runtime

IMPORT_COLUMNS = ("sku", "name", "category_path", "brand", "price_fen", "excluded_from_points")


def cmd_catalog_import(s: Settings, a: argparse.Namespace) -> int:
    from tqdm import tqdm

    from domain.catalog.importer import import_rows, read_rows

    rows, first = read_rows(Path(a.file))

    async def job(rt: Runtime):
        with tqdm(total=len(rows), unit="row", desc="importing", file=sys.stderr) as bar:

            def advance(done: int) -> None:
                bar.update(done - bar.n)

            return await import_rows(rows, advance, first_row=first)

    report = with_db(s, job)
    print(f"{report.created} created, {report.updated} updated, {len(report.errors)} rejected")
    for row, sku, problem in report.errors:
        print(f"  row {row} (sku {sku or '?'}): {problem}", file=sys.stderr)
    return 1 if report.errors else 0


def cmd_ledger_verify(s: Settings, a: argparse.Namespace) -> int:
    from domain.points.verify import accounts_checked, verify

    async def job(rt: Runtime):
        return await accounts_checked(), await verify()

    checked, mismatches = with_db(s, job)
    for m in mismatches:
        print(m.describe(), file=sys.stderr)
    print(f"{checked} accounts checked, {len(mismatches)} with differences")
    return 1 if mismatches else 0


def cmd_dead_letters(s: Settings, a: argparse.Namespace) -> int:
    from domain.events import dead_letters
    from workers.broker import bind_actors, make_broker

    async def job(rt: Runtime):
        if a.replay is None:
            rows, _ = await dead_letters.page(after_id=None, limit=100, waiting_only=True)
            for r in rows:
                print(f"{r.id}\t{r.failed_at:%Y-%m-%d %H:%M}\t{r.actor}\t{r.kwargs}\t{r.error}")
            print(f"{len(rows)} dead letters waiting", file=sys.stderr)
            return 0
        from workers.dead_letters import replay

        bind_actors(make_broker(s), s)
        ids = a.replay or [
            r.id for r in (await dead_letters.page(after_id=None, limit=1000, waiting_only=True))[0]
        ]
        for dead_id in ids:
            print(f"replayed {dead_id} ({await replay(dead_id)})")
        return 0

    return with_db(s, job)


def cmd_jobs(s: Settings, a: argparse.Namespace) -> int:
    """``loyalty jobs list`` / ``loyalty jobs run NAME [--at ISO-TIME]``: a scheduled job,
    once, here, through its actor's own function; with ``--at`` as if the clock were at
    that time (a missed night re-run, a rule checked on a given day). The jobs are
    idempotent: running one again for the same time does nothing more."""
    from workers.scheduler import JOBS

    jobs = {j.name: j for j in JOBS}
    if a.action == "list":
        if a.name or a.at:
            raise ConfigError("`loyalty jobs list` takes no job name and no --at")
        for j in JOBS:
            print(f"{j.name:<20} {j.schedule.describe():<44} {j.runs}")
        return 0
    if a.name not in jobs:
        if not a.name:
            raise ConfigError("name the job to run (see `loyalty jobs list`)")
        known = ", ".join(jobs)
        raise ConfigError(f"no job named {a.name!r} (known: {known}; see `loyalty jobs list`)")
    if a.name == "outbox-sweep" and s.embedded:  # its events would go to a broker of no one
        raise ConfigError(
            "outbox-sweep needs BROKER_URL: with none, the embedded server relays the outbox"
        )
    from domain import clock

    at = _job_time(a.at) if a.at else None
    if at is not None and at > clock.now() and not a.future:
        raise ConfigError(
            f"--at {a.at} is in the future: the job would act on this database now as if "
            "that time had come (points expired early, rebates converted). Pass --future "
            "if that is what you mean (a test database, a rule checked ahead of time)."
        )
    from workers.broker import bind_actors, make_broker
    from workers.runtime import set_runtime

    body = jobs[a.name].body

    async def run_job(rt: Runtime) -> None:
        bind_actors(make_broker(s), s)  # jobs it starts in turn go to the broker
        set_runtime(rt)
        if at is None:
            await body()
        else:
            with clock.moved_to(at):
                await body()
        print(f"job {a.name} done" + (f" at {at.isoformat()}" if at else ""))

    with_db(s, run_job)
    return 0


def _job_time(text: str) -> datetime:
    """``--at``: an ISO 8601 time; one without an offset is Asia/Shanghai, the business
    zone the schedule is written in."""
    from domain import clock

    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"--at {text!r} is not an ISO 8601 time (e.g. 2026-03-01T00:30+08:00)"
        ) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=clock.SHANGHAI)
    try:
        return clock.utc_input(at, "at")
    except InvalidInput:
        raise ConfigError(f"--at {text!r} is out of range") from None


def _jobs_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["list", "run"])
    p.add_argument("name", nargs="?", default="", help="a job of `loyalty jobs list`")
    p.add_argument(
        "--at",
        metavar="ISO-TIME",
        help="run as if the clock were at this time (no offset: Asia/Shanghai); a missed "
        "night is re-run with a past time",
    )
    p.add_argument(
        "--future",
        action="store_true",
        help="allow an --at later than now (it acts on the live data as if that time had come)",
    )


COMMANDS = {
    "catalog-import": Command(
        cmd_catalog_import,
        "import products from a .csv or .json file",
        lambda p: p.add_argument("file", help="columns: " + ", ".join(IMPORT_COLUMNS)),
    ),
    "dead-letters": Command(
        cmd_dead_letters,
        "list jobs that failed every retry, or --replay them",
        lambda p: p.add_argument(
            "--replay", nargs="*", type=int, help="ids to send again (none given: all)"
        ),
    ),
    "ledger-verify": Command(
        cmd_ledger_verify, "check every points balance against its ledger and lots"
    ),
    "jobs": Command(
        cmd_jobs,
        "list the scheduled jobs, or run one once (`jobs run NAME [--at ISO-TIME]`)",
        _jobs_arguments,
    ),
}
