"""Commands that run the platform: the processes (dev, serve, worker, scheduler) and the
release steps (migrate, migrations, demo data)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from domain import migrations
from domain.cli.base import Command, check_migrated, exec_program, with_db
from domain.config import ConfigError, Settings
from domain.runtime import Runtime


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

    with_db(s, job)
    return 0


def _serve_http(s: Settings, host: str, port: int, workers: int) -> int:
    """uvicorn in this process (``serving.serve_http``)."""
    from serving import serve_http

    sys.stdout.flush()
    return serve_http(host, port, workers, reuse_port=s.http_reuse_port)


def cmd_serve(s: Settings, a: argparse.Namespace) -> int:
    if s.embedded and a.workers > 1:
        raise ConfigError("several API processes need BROKER_URL, REDIS_URL and PostgreSQL")
    asyncio.run(check_migrated(s))
    return _serve_http(s, a.host or s.host, a.port or s.port, a.workers)


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
    asyncio.run(check_migrated(s))  # migrated, and in production a role that owns nothing
    return exec_program(
        ["dramatiq", "workers.app", "--processes", str(a.processes), "--threads", str(a.threads)]
    )


def cmd_scheduler(s: Settings, a: argparse.Namespace) -> int:
    if s.embedded:
        raise ConfigError("BROKER_URL is empty: the embedded server runs its own scheduler")
    asyncio.run(check_migrated(s))  # migrated, and in production a role that owns nothing
    return exec_program([sys.executable, "-m", "workers.scheduler_main"])


def _listen(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host")
    p.add_argument("--port", type=int)


def _serve_arguments(p: argparse.ArgumentParser) -> None:
    _listen(p)
    p.add_argument("--workers", type=int, default=1)


def _demo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--members", type=int, default=300)
    p.add_argument("--orders", type=int, default=5000)


def _worker_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--threads", type=int, default=4)


COMMANDS = {
    "dev": Command(cmd_dev, "embedded default: migrate, demo data, credentials, serve", _listen),
    "serve": Command(
        cmd_serve,
        "run the API (uvicorn, N workers); refuses an unmigrated database",
        _serve_arguments,
    ),
    "migrate": Command(cmd_migrate, "apply pending migrations (the release step)"),
    "migrations-check": Command(cmd_migrations_check, "fail when models and migrations differ"),
    "migrations-make": Command(
        cmd_migrations_make,
        "write a migration for model changes",
        lambda p: p.add_argument("name"),
    ),
    "demo-load": Command(
        cmd_demo_load, "load the demo chain into an empty database", _demo_arguments
    ),
    "worker": Command(cmd_worker, "run Dramatiq worker processes (production)", _worker_arguments),
    "scheduler": Command(cmd_scheduler, "run the one scheduler process (production)"),
}
