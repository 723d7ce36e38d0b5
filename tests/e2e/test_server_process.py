"""Real server processes, started the way the README and the deployment guide do."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import ROOT, dev_sink, require_services
from tests.e2e.listeners import assert_connections_spread, sockets_on
from tests.processes import OTP, clean_env, free_port, running

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent
SIGN_IN = """mutation($p: String!, $c: String!) { memberSignIn(phone: $p, code: $c) {
  __typename ... on SignInSuccess { accessToken refreshToken } } }"""


def gql(base: str, query: str, variables: dict, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()


def wait_code(read_latest_otp_body) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = read_latest_otp_body()
        if body:
            return re.search(r"验证码 (\d{6})", body).group(1)
        time.sleep(0.2)
    raise AssertionError("the SMS never reached the sink")


@pytest.mark.backend("sqlite")  # the embedded default
def test_readme_run_command_serves_the_member_sign_in_flow(tmp_path):
    port = free_port()
    env = clean_env(VAR_DIR=str(tmp_path / "var"), LOG_JSON="true")
    with running(
        [str(BIN / "loyalty"), "dev", "--port", str(port)], env, port, tmp_path / "server.log"
    ) as base:
        creds = json.loads((tmp_path / "var" / "demo-credentials.json").read_text())
        assert {s["role"] for s in creds["staff"]} == {
            "admin",
            "marketing_manager",
            "analyst",
            "service_agent",
            "store_staff",
        }
        printed = (tmp_path / "server.log").read_text()
        assert f"http://127.0.0.1:{port}/graphql" in printed
        assert creds["member"]["phone"] in printed and creds["partner"]["clientId"] in printed

        # the test number signs in with its fixed code, no SMS
        member = creds["member"]
        tokens = gql(base, SIGN_IN, {"p": member["phone"], "c": member["code"]})
        access = tokens["data"]["memberSignIn"]["accessToken"]
        me = gql(base, "{ me { phone displayName } }", {}, access)["data"]["me"]
        assert me["phone"] == member["phone"]

        # any other number gets a real code through the in-process worker and the SMS sink
        phone = f"+86137{secrets.randbelow(10**8):08d}"
        assert gql(base, OTP, {"p": phone})["data"]["otpRequest"]["__typename"] == (
            "OtpRequestSuccess"
        )
        db = tmp_path / "var" / "loyalty.sqlite3"

        def latest() -> str | None:  # development shows codes in var/dev-sink.jsonl only
            sent = [m for m in dev_sink(tmp_path / "var") if m["to"] == phone]
            return sent[-1]["body"] if sent else None

        code = wait_code(latest)
        with sqlite3.connect(db) as conn:
            stored = str(conn.execute("SELECT * FROM messages").fetchall())
        assert code not in stored
        signed = gql(base, SIGN_IN, {"p": phone, "c": code})["data"]["memberSignIn"]
        assert signed["__typename"] == "SignInSuccess"
        # demo data as promised
        with sqlite3.connect(db) as conn:
            members, orders, products, stores = (
                conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                for t in ("members", "orders", "products", "stores")
            )
        assert members == 301 and orders == 5000 and 150 <= products <= 250 and stores == 6
        log_line = next(
            line
            for line in (tmp_path / "server.log").read_text().splitlines()
            if '"loyalty.access"' in line
        )
        assert json.loads(log_line)["request_id"]


@pytest.mark.backend("sqlite")  # once is enough
def test_serve_refuses_an_unmigrated_database(tmp_path):
    env = clean_env(VAR_DIR=str(tmp_path / "var"))

    def start(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*argv, "--port", str(free_port())],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = start(str(BIN / "loyalty"), "serve")
    assert done.returncode == 2
    assert "is not migrated" in done.stderr and "loyalty migrate" in done.stderr
    # started without the CLI, the app's own lifespan refuses too
    bare = start(str(BIN / "uvicorn"), "server:app")
    assert bare.returncode != 0
    assert "is not migrated" in bare.stderr and "Application startup failed" in bare.stderr


@dataclass
class FakeTencentSms:
    """Tencent Cloud SMS ``SendSms`` on a local port: keeps what it was asked to send."""

    sent: list[dict] = field(default_factory=list)

    def app(self) -> Starlette:
        async def send(request: Request) -> JSONResponse:
            self.sent.append(await request.json())
            ok = {"Code": "Ok", "SerialNo": str(len(self.sent)), "Message": "send success"}
            return JSONResponse({"Response": {"SendStatusSet": [ok], "RequestId": "r"}})

        return Starlette(routes=[Route("/", send, methods=["POST"])])


METRICS_TOKEN = "metrics-" + "m" * 32


@pytest.mark.backend("postgres")  # the production shape
def test_production_shape_two_api_workers_and_a_worker_process(tmp_path):
    require_services()
    import asyncio

    import asyncpg

    from tests.conftest import _key
    from tests.fakes import serving
    from tests.pg import create_pg_database, drop_pg_database

    pid = os.getpid()
    roles = (f"loyalty_e2e_{pid}", f"loyalty_e2e_owner_{pid}", f"loyalty_e2e_app_{pid}")
    owner_url, db_url = asyncio.run(create_pg_database(*roles))
    subprocess.run(["redis-cli", "-n", "13", "flushdb"], check=False, capture_output=True)
    sms = FakeTencentSms()
    with serving(sms.app()) as sms_endpoint:
        env = clean_env(
            APP_ENV="production",
            DATABASE_URL=db_url,  # the API and the worker: a role that owns nothing
            DATABASE_OWNER_URL=owner_url,  # `loyalty migrate` only
            METRICS_TOKEN=METRICS_TOKEN,
            SMS_PROVIDER="tencent",  # production shows a code nowhere but in the SMS
            TENCENT_SECRET_ID="AKIDe2e",
            TENCENT_SECRET_KEY="e2e-secret",
            TENCENT_SMS_SDK_APP_ID="1400000000",
            TENCENT_SMS_SIGN_NAME="鲜选会员",
            TENCENT_SMS_TEMPLATES=json.dumps({"otp": {"id": "1", "params": ["code", "minutes"]}}),
            TENCENT_SMS_ENDPOINT=sms_endpoint,
            REDIS_URL="redis://127.0.0.1:6379/13",
            BROKER_URL="amqp://guest:guest@127.0.0.1:5672/",
            DATA_KEYS=json.dumps({"p1": _key()}),
            DATA_KEY_ID="p1",
            HMAC_KEY=_key(),
            VAR_DIR=str(tmp_path),
            LOG_LEVEL="WARNING",
        )

        def loyalty(*args: str) -> subprocess.CompletedProcess:
            argv = [str(BIN / "loyalty"), *args]
            return subprocess.run(
                argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
            )

        async def stored_messages() -> str:
            conn = await asyncpg.connect(db_url.replace("postgres://", "postgresql://"))
            try:
                return str(await conn.fetch("SELECT * FROM messages"))
            finally:
                await conn.close()

        try:
            release = loyalty("migrate")
            assert release.returncode == 0, release.stderr
            assert "granted the app role" in release.stdout
            worker = subprocess.Popen(
                [str(BIN / "loyalty"), "worker", "--processes", "1", "--threads", "2"],
                cwd=ROOT,
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            port = free_port()
            serve = ["serve", "--workers", "2", "--port", str(port)]
            try:
                with running(
                    [str(BIN / "loyalty"), *serve], env, port, tmp_path / "api.log"
                ) as base:
                    # the outside learns ready / not ready; the operator's token shows why
                    assert httpx.get(f"{base}/readyz", timeout=10).json() == {"status": "ok"}
                    assert httpx.get(f"{base}/metrics", timeout=10).status_code == 401
                    operator = {"Authorization": f"Bearer {METRICS_TOKEN}"}
                    ready = httpx.get(f"{base}/readyz", headers=operator, timeout=10).json()
                    assert ready["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}
                    assert_connections_spread(port, workers=2)
                    # a second server on the same port is refused, not let into the group
                    before = sockets_on(port)[0]
                    again = loyalty(*serve)
                    assert again.returncode == 3, again.stderr
                    assert "cannot listen on" in again.stderr
                    assert sockets_on(port)[0] == before  # the same two listeners, no more
                    assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
                    page = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}, timeout=5)
                    assert "graphiql" not in page.text.lower()  # production: no IDE
                    phone = f"+86136{secrets.randbelow(10**8):08d}"  # fresh daily SMS budget
                    assert gql(base, OTP, {"p": phone})["data"]["otpRequest"]["__typename"] == (
                        "OtpRequestSuccess"
                    )

                    code = wait_code(
                        lambda: sms.sent and f"验证码 {sms.sent[-1]['TemplateParamSet'][0]}"
                    )
                    assert sms.sent[-1]["PhoneNumberSet"] == [phone]
                    assert code not in asyncio.run(stored_messages())  # not even sealed
                    signed = gql(base, SIGN_IN, {"p": phone, "c": code})["data"]["memberSignIn"]
                    assert signed["__typename"] == "SignInSuccess"
                    me = gql(base, "{ me { phone } }", {}, signed["accessToken"])["data"]["me"]
                    assert me == {"phone": phone}
                    # a test number is refused in production: no fixed code exists
                    r = gql(base, SIGN_IN, {"p": "+8613800138000", "c": "246810"})
                    assert r["data"]["memberSignIn"]["__typename"] == "CodeExpiredError"
            finally:
                worker.terminate()  # dramatiq's main process stops its children itself
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()
        finally:
            asyncio.run(drop_pg_database(*roles))
