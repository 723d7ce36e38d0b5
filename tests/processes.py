"""Helpers for tests that start real processes: free ports, a running server, the ops
CLI and an environment without the caller's settings."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import ROOT

LOYALTY = str(Path(sys.executable).parent / "loyalty")


def run(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """``loyalty *args`` in ``env``. A plain ``migrate`` of a fresh embedded VAR_DIR (the
    usual first step of an e2e test) copies a VAR_DIR migrated once per session instead:
    replaying every migration costs ~10 s a time (Tortoise re-renders its model state per
    operation). Any other migrate (other settings, a VAR_DIR with files) runs for real."""
    if args == ("migrate",) and stdin is None and _fresh_embedded(env):
        return _migrated_copy(env["VAR_DIR"])
    return _run(env, *args, stdin=stdin)


def _run(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LOYALTY, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
    )


_template: list[tuple[Path, subprocess.CompletedProcess]] = []


def _fresh_embedded(env: dict) -> bool:
    var = env.get("VAR_DIR")
    if not var or env != clean_env(VAR_DIR=var, DEMO_DATA="false"):
        return False
    return not Path(var).exists() or not any(Path(var).iterdir())


def _migrated_copy(var_dir: str) -> subprocess.CompletedProcess:
    if not _template:
        template = Path(tempfile.mkdtemp(prefix="loyalty-migrated-"))
        done = _run(clean_env(VAR_DIR=str(template), DEMO_DATA="false"), "migrate")
        if done.returncode != 0:
            return done
        _template.append((template, done))
    template, done = _template[0]
    shutil.copytree(template, var_dir, dirs_exist_ok=True)
    return done


OTP = "mutation($p: String!) { otpRequest(phone: $p) { __typename } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    drop = (
        "DATABASE_URL",
        "REDIS_URL",
        "BROKER_URL",
        "APP_ENV",
        "DATA_KEYS",
        "HMAC_KEY",
        "DATA_KEY_ID",
        "TEST_PHONE_NUMBERS",
        "VAR_DIR",
        "TEST_BACKEND",
    )
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


@contextmanager
def running(argv: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    with log.open("w") as out:
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"server exited {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
