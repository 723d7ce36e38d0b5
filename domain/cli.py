"""The ``loyalty`` ops CLI: one entry point for every operational task.

Processes (API, workers, scheduler) are started by exec'ing their real programs
(uvicorn, dramatiq), so this module imports no web or queue framework.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tortoise.context import TortoiseContext

from domain import migrations
from domain.config import ConfigError, Settings, get_settings
from domain.db import tortoise_config
from domain.runtime import Runtime

IMPORT_COLUMNS = ("sku", "name", "category_path", "brand", "price_fen", "excluded_from_points")


def _with_db(settings: Settings, job: Callable[[Runtime], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(settings))
            await migrations.ensure_migrated(settings)
            return await job(Runtime.build(settings))

    return asyncio.run(go())


def cmd_migrate(s: Settings, a: argparse.Namespace) -> int:
    n = asyncio.run(migrations.migrate(s))
    print(f"database migrated ({n} applied)")
    return 0


def cmd_migrations_check(s: Settings, a: argparse.Namespace) -> int:
    changes = asyncio.run(migrations.drift(s))
    if changes:
        print("models and migrations differ; run `loyalty migrations-make NAME`:", file=sys.stderr)
        for c in changes:
            print(f"  {c}", file=sys.stderr)
        return 1
    print("migrations match the models")
    return 0


def cmd_migrations_make(s: Settings, a: argparse.Namespace) -> int:
    for path in asyncio.run(migrations.make(s, a.name)):
        print(f"created {path}")
    return 0


def cmd_demo_load(s: Settings, a: argparse.Namespace) -> int:
    from domain import demo

    demo.refuse_in_production(s)  # before touching the database

    async def job(rt: Runtime) -> None:
        if await demo.is_loaded():
            print("demo data already loaded")
            return
        await demo.load(
            rt,
            members=a.members,
            orders=a.orders,
            credentials_path=s.var_dir / "demo-credentials.json",
        )
        print(f"demo credentials written to {s.var_dir / 'demo-credentials.json'}")

    _with_db(s, job)
    return 0


def cmd_partner_create(s: Settings, a: argparse.Namespace) -> int:
    from domain.partners.services import create_partner

    async def job(rt: Runtime) -> None:
        app, secret = await create_partner(a.name, a.scopes.split())
        print(
            json.dumps(
                {"clientId": app.client_id, "clientSecret": secret, "scopes": app.scopes.split()},
                indent=2,
            )
        )
        print("The secret is shown only now; store it in the partner's vault.", file=sys.stderr)

    _with_db(s, job)
    return 0


def cmd_staff_create(s: Settings, a: argparse.Namespace) -> int:
    from domain.org.services import create_staff

    password = os.environ.get("STAFF_PASSWORD") or getpass.getpass("password: ")

    async def job(rt: Runtime) -> None:
        staff = await create_staff(
            a.email,
            password,
            a.role,
            display_name=a.name or "",
            region_code=a.region,
            store_code=a.store,
        )
        print(f"staff {staff.email} ({staff.role}) created")

    _with_db(s, job)
    return 0


def cmd_key_rotate(s: Settings, a: argparse.Namespace) -> int:
    from domain.auth.keys import rotate

    async def job(rt: Runtime) -> None:
        ttl = max(s.access_token_ttl_s, s.partner_token_ttl_s)
        new, retired = await rotate(rt.cipher, max_token_ttl_s=ttl)
        print(f"new signing key {new.kid}; retired: {', '.join(retired) or 'none'}")
        print(
            f"all processes sign with it within KEY_REFRESH_INTERVAL_S={s.key_refresh_interval_s}s"
        )

    _with_db(s, job)
    return 0


def cmd_catalog_import(s: Settings, a: argparse.Namespace) -> int:
    from tqdm import tqdm

    from domain.catalog.importer import import_rows, read_rows

    rows, first = read_rows(Path(a.file))

    async def job(rt: Runtime):
        with tqdm(total=len(rows), unit="row", desc="importing", file=sys.stderr) as bar:

            def advance(done: int) -> None:
                bar.update(done - bar.n)

            return await import_rows(rows, advance, first_row=first)

    report = _with_db(s, job)
    print(f"{report.created} created, {report.updated} updated, {len(report.errors)} rejected")
    for row, sku, problem in report.errors:
        print(f"  row {row} (sku {sku or '?'}): {problem}", file=sys.stderr)
    return 1 if report.errors else 0


def cmd_ledger_verify(s: Settings, a: argparse.Namespace) -> int:
    from domain.points.verify import accounts_checked, verify

    async def job(rt: Runtime):
        return await accounts_checked(), await verify()

    checked, mismatches = _with_db(s, job)
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

    return _with_db(s, job)


def _operator() -> dict[str, str]:
    """Who ran a CLI command, for the audit row (the CLI has no signed-in principal)."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return {"via": "cli", "operator": user}


def _tokens_note(s: Settings, mutation: str, ttl_s: int, ttl_name: str) -> str:
    """What a deactivation did to the tokens already issued: with Redis they are refused
    at once everywhere; in the embedded default (no REDIS_URL) the running server keeps
    its revocations in its own memory, which this process cannot reach."""
    if s.redis_url:
        return "every access token it holds is refused from now on"
    print(
        "warning: REDIS_URL is empty, so the running server keeps its revocations in its "
        "own memory, out of this command's reach: the access tokens it already issued stay "
        f"valid until they expire (up to {ttl_name}={ttl_s}s). To end them at once, use the "
        f"{mutation} mutation as an admin.",
        file=sys.stderr,
    )
    return f"access tokens already issued last until they expire (up to {ttl_s}s)"


def cmd_staff_deactivate(s: Settings, a: argparse.Namespace) -> int:
    from domain.auth.model import ANONYMOUS
    from domain.org.services import deactivate_staff
    from domain.org.tables import Staff

    async def job(rt: Runtime) -> int:
        ref = a.staff.strip()
        staff = await Staff.get_or_none(
            **({"id": int(ref)} if ref.isdigit() else {"email": ref.lower()})
        )
        if staff is None:
            print(f"no staff account {ref!r}", file=sys.stderr)
            return 1
        await deactivate_staff(rt, ANONYMOUS, staff.id, **_operator())
        tokens = _tokens_note(s, "staffDeactivate", s.access_token_ttl_s, "ACCESS_TOKEN_TTL_S")
        print(
            f"staff {staff.email} (id {staff.id}) deactivated: sign-in and refresh are "
            f"refused now; {tokens}"
        )
        return 0

    return _with_db(s, job)


def cmd_partner_deactivate(s: Settings, a: argparse.Namespace) -> int:
    from domain.auth.model import ANONYMOUS
    from domain.partners.services import deactivate_partner

    async def job(rt: Runtime) -> None:
        app = await deactivate_partner(rt, ANONYMOUS, a.client_id, **_operator())
        tokens = _tokens_note(s, "partnerDeactivate", s.partner_token_ttl_s, "PARTNER_TOKEN_TTL_S")
        print(
            f"partner {app.client_id} ({app.name}) deactivated: its client credentials are "
            f"refused now; {tokens}"
        )

    _with_db(s, job)
    return 0


def cmd_signin_unlock(s: Settings, a: argparse.Namespace) -> int:
    from domain.auth.credentials import unlock
    from domain.auth.model import ANONYMOUS
    from domain.auth.throttle import AccountKind

    kind = AccountKind.PARTNER if a.partner else AccountKind.STAFF
    if not s.redis_url:
        print(
            "loyalty signin-unlock: REDIS_URL is empty, so the sign-in counters and lockouts "
            "live in the running server's memory, out of this command's reach: nothing was "
            "unlocked. Use the signInUnlock mutation as an admin (a restart of the server "
            "also forgets every lockout).",
            file=sys.stderr,
        )
        return 1

    async def job(rt: Runtime) -> bool:
        return await unlock(rt, ANONYMOUS, kind, a.account, **_operator())

    lifted = _with_db(s, job)
    print(f"{kind.value} {a.account}: " + ("lockout lifted" if lifted else "was not locked"))
    return 0


def cmd_jobs(s: Settings, a: argparse.Namespace) -> int:
    """``loyalty jobs list`` / ``loyalty jobs run NAME``: a scheduled job, once, here."""
    from workers.scheduler import JOBS

    fires = {job_id: fire for job_id, fire, *_ in JOBS}
    if a.action == "list" or a.name not in fires:
        for job_id, _fire, trigger, args, _slot in JOBS:
            print(f"{job_id:<20} {trigger} {args}")
        if a.action == "list":
            return 0
        print(f"loyalty jobs: no job named {a.name!r}", file=sys.stderr)
        return 2
    from workers.broker import bind_actors, make_broker
    from workers.runtime import set_runtime

    fire = fires[a.name]
    actor = getattr(fire, "__self__", None)  # scheduled as `actor.send`: run its body
    body = actor.fn.__wrapped__ if actor is not None else fire

    async def job(rt: Runtime) -> None:
        bind_actors(make_broker(s), s)  # jobs it starts in turn go to the broker
        set_runtime(rt)
        await body()
        print(f"job {a.name} done")

    _with_db(s, job)
    return 0


def _exec(argv: list[str]) -> int:
    exe = shutil.which(
        argv[0], path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    )
    if exe is None:
        raise ConfigError(f"{argv[0]} is not installed in this environment")
    sys.stdout.flush()
    os.execv(exe, [exe, *argv[1:]])
    return 0  # not reached


def _serve_http(s: Settings, host: str, port: int, workers: int) -> int:
    """uvicorn in this process (``serving.serve_http``)."""
    from serving import serve_http

    sys.stdout.flush()
    return serve_http(host, port, workers, reuse_port=s.http_reuse_port)


def cmd_serve(s: Settings, a: argparse.Namespace) -> int:
    if s.embedded and a.workers > 1:
        raise ConfigError("several API processes need BROKER_URL, REDIS_URL and PostgreSQL")
    asyncio.run(_check_migrated(s))
    return _serve_http(s, a.host or s.host, a.port or s.port, a.workers)


async def _check_migrated(s: Settings) -> None:
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(s))
        await migrations.ensure_migrated(s)


def cmd_dev(s: Settings, a: argparse.Namespace) -> int:
    """Embedded default in one go: migrate, load demo data once, print how to start, serve."""
    cmd_migrate(s, a)
    if s.demo_enabled:
        a.members, a.orders = 300, 5000
        cmd_demo_load(s, a)
    host, port = a.host or s.host, a.port or s.port
    print("\n" + "=" * 72)
    print(f"GraphiQL:   http://{host}:{port}/graphql")
    creds = s.var_dir / "demo-credentials.json"
    if creds.exists():
        data = json.loads(creds.read_text())
        print(f"Member:     phone {data['member']['phone']}  code {data['member']['code']}")
        p = data["partner"]
        print(f"Partner:    client_id {p['clientId']}  secret {p['clientSecret']}")
        print(f"            scopes {' '.join(p['scopes'])}  (POST /oauth/token)")
        for st in data["staff"]:
            print(f"Staff:      {st['email']:<32} {st['password']}  {st['role']}")
        print(f"All of it:  {creds}")
    if not s.production:
        print(f"SMS codes:  {s.var_dir / 'dev-sink.jsonl'} (what the local sink sent)")
    print("=" * 72 + "\n")
    return _serve_http(s, host, port, 1)


def cmd_worker(s: Settings, a: argparse.Namespace) -> int:
    if s.embedded:
        raise ConfigError("BROKER_URL is empty: the embedded server runs its own worker")
    asyncio.run(_check_migrated(s))  # migrated, and in production a role that owns nothing
    return _exec(
        ["dramatiq", "workers.app", "--processes", str(a.processes), "--threads", str(a.threads)]
    )


def cmd_scheduler(s: Settings, a: argparse.Namespace) -> int:
    if s.embedded:
        raise ConfigError("BROKER_URL is empty: the embedded server runs its own scheduler")
    asyncio.run(_check_migrated(s))  # migrated, and in production a role that owns nothing
    return _exec([sys.executable, "-m", "workers.scheduler_main"])


COMMANDS: dict[str, tuple[Callable[[Settings, argparse.Namespace], int], str]] = {
    "dev": (cmd_dev, "embedded default: migrate, demo data, credentials, serve"),
    "serve": (cmd_serve, "run the API (uvicorn, N workers); refuses an unmigrated database"),
    "migrate": (cmd_migrate, "apply pending migrations (the release step)"),
    "migrations-check": (cmd_migrations_check, "fail when models and migrations differ"),
    "migrations-make": (cmd_migrations_make, "write a migration for model changes"),
    "demo-load": (cmd_demo_load, "load the demo chain into an empty database"),
    "partner-create": (cmd_partner_create, "create a partner app; prints its secret once"),
    "staff-create": (cmd_staff_create, "create a staff account (STAFF_PASSWORD or prompt)"),
    "key-rotate": (cmd_key_rotate, "create a new JWT signing key; retire expired ones"),
    "worker": (cmd_worker, "run Dramatiq worker processes (production)"),
    "scheduler": (cmd_scheduler, "run the one scheduler process (production)"),
    "catalog-import": (cmd_catalog_import, "import products from a .csv or .json file"),
    "dead-letters": (cmd_dead_letters, "list jobs that failed every retry, or --replay them"),
    "ledger-verify": (cmd_ledger_verify, "check every points balance against its ledger and lots"),
    "staff-deactivate": (cmd_staff_deactivate, "deactivate a staff account; revoke its tokens"),
    "partner-deactivate": (cmd_partner_deactivate, "deactivate a partner app; revoke its tokens"),
    "signin-unlock": (cmd_signin_unlock, "lift the sign-in lockout of a staff email or client id"),
    "jobs": (cmd_jobs, "list the scheduled jobs, or run one once now (`jobs run NAME`)"),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="loyalty", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    for name, (_fn, help_) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        if name in ("dev", "serve"):
            sp.add_argument("--host")
            sp.add_argument("--port", type=int)
        if name == "serve":
            sp.add_argument("--workers", type=int, default=1)
        if name == "migrations-make":
            sp.add_argument("name")
        if name == "demo-load":
            sp.add_argument("--members", type=int, default=300)
            sp.add_argument("--orders", type=int, default=5000)
        if name == "partner-create":
            sp.add_argument("--name", required=True)
            sp.add_argument("--scopes", required=True, help='e.g. "members:read orders:write"')
        if name == "staff-create":
            sp.add_argument("--email", required=True)
            sp.add_argument("--role", required=True)
            sp.add_argument("--name")
            sp.add_argument("--region")
            sp.add_argument("--store")
        if name == "catalog-import":
            sp.add_argument("file", help="columns: " + ", ".join(IMPORT_COLUMNS))
        if name == "dead-letters":
            sp.add_argument(
                "--replay", nargs="*", type=int, help="ids to send again (none given: all)"
            )
        if name == "staff-deactivate":
            sp.add_argument("staff", help="the staff email or id")
        if name == "partner-deactivate":
            sp.add_argument("client_id")
        if name == "signin-unlock":
            sp.add_argument("account", help="a staff email, or a client id with --partner")
            sp.add_argument("--partner", action="store_true", help="the account is a client id")
        if name == "jobs":
            sp.add_argument("action", choices=["list", "run"])
            sp.add_argument("name", nargs="?", default="")
        if name == "worker":
            sp.add_argument("--processes", type=int, default=2)
            sp.add_argument("--threads", type=int, default=4)
    return p


def run(argv: list[str] | None = None) -> int:
    from domain.errors import DomainError
    from domain.migrations import NotMigrated

    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command][0](get_settings(), args)
    except (ConfigError, NotMigrated, DomainError) as exc:
        for line in str(exc).splitlines():  # bad settings: one line per variable
            print(f"loyalty {args.command}: {line}", file=sys.stderr)
        return 2
