"""Test fixtures: the whole API suite runs twice, once per backend, in two pytest
processes (Tortoise caches per-model SQL for the first backend it meets):
``TEST_BACKEND=sqlite`` (the default) and ``TEST_BACKEND=postgres``.

* ``sqlite``   — the embedded default: SQLite file, in-memory cache, StubBroker with
                 the in-process worker running on the test's event loop.
* ``postgres`` — production shape: PostgreSQL, Redis cache, Redis broker and a real
                 ``dramatiq`` worker process.

On a machine without those services the ``postgres`` pass is skipped with the reason;
under CI (``CI=true``) a missing service is a failure, never a skip.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from domain.config import Settings
from tests import isolation, masked
from tests.isolation import module_starts_from_the_seed, pytest_terminal_summary  # noqa: F401
from tests.pg import PG_APP, PG_OWNER, create_pg_database, drop_pg_database, require_services

ROOT = Path(__file__).resolve().parent.parent
TEST_PHONE = "+8613800138000"
TEST_CODE = "135790"
PG_DB = f"loyalty_test_{os.getpid()}"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BROKER_URL = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/14")


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked ``backend("x")`` belong to that pass only: deselected (not skipped)
    in the other, so a skip always means a missing service."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("backend")
        (drop if marker and marker.args[0] != BACKEND else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    # ``runs_last`` tests (the schema fuzz) change shared configuration: after all others
    items[:] = sorted(keep, key=lambda item: item.get_closest_marker("runs_last") is not None)


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def base_settings(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "app_env": "test",
        "var_dir": tmp,
        "data_keys": {"t1": _key()},
        "data_key_id": "t1",
        "hmac_key": _key(),
        "test_phone_numbers": {TEST_PHONE: TEST_CODE},
        "graphiql": False,
        "introspection": True,
        "log_json": False,
        "log_level": "WARNING",
        "otp_resend_interval_s": 0,
        "job_max_retries": 3,  # a poison job reaches the dead letters in well under a second
        "job_min_backoff_ms": 10,
        "job_max_backoff_ms": 50,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


BACKEND = os.environ.get("TEST_BACKEND", "sqlite")


@pytest.fixture(scope="session", params=[BACKEND])
async def settings(request, tmp_path_factory) -> AsyncIterator[Settings]:
    from domain import migrations

    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        s = base_settings(tmp)
        await migrations.migrate(s, progress=lambda _m: None)
        yield s
        return
    require_services()
    from redis.asyncio import Redis

    for url in (REDIS_URL, BROKER_URL):
        client = Redis.from_url(url)
        await client.flushdb()
        await client.aclose()
    owner_url, app_url = await create_pg_database(PG_DB, PG_OWNER, PG_APP)
    s = base_settings(
        tmp,
        database_url=app_url,  # every test, the app and the worker run as the app role
        database_owner_url=owner_url,
        redis_url=REDIS_URL,
        broker_url=BROKER_URL,
    )
    await migrations.migrate(s, progress=lambda _m: None)
    try:
        yield s
    finally:
        await drop_pg_database(PG_DB, PG_OWNER, PG_APP)


def settings_env(s: Settings) -> dict[str, str]:
    """The environment that makes a child process read the same settings."""
    import json

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env.update(
        {
            "APP_ENV": s.app_env,
            "VAR_DIR": str(s.var_dir),
            "DATABASE_URL": s.database_url,
            "REDIS_URL": s.redis_url,
            "BROKER_URL": s.broker_url,
            "DATA_KEYS": json.dumps(s.data_keys),
            "DATA_KEY_ID": s.data_key_id,
            "HMAC_KEY": s.hmac_key,
            "TEST_PHONE_NUMBERS": json.dumps(s.test_phone_numbers),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


@pytest.fixture(scope="session")
def worker_process(settings: Settings) -> Iterator[subprocess.Popen | None]:
    """A real Dramatiq worker process for the production-shaped pass."""
    if settings.embedded:
        yield None
        return
    log = settings.var_dir / "worker.log"  # read it when a test waits for the worker in vain
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "workers.app", "--processes", "1", "--threads", "2"],
            cwd=ROOT,
            env=settings_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    time.sleep(0.5)
    if proc.poll() is not None:
        raise RuntimeError(log.read_text()[-3000:] or "worker died")
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)  # reaped: an unreaped process is a ResourceWarning (an error)


@pytest.fixture(scope="session")
async def app(settings: Settings, worker_process):
    from server import create_app

    application = create_app(settings)
    async with application.router.lifespan_context(application), isolation.session(application):
        yield application


STAFF_PASSWORD = "correct horse battery"
# (email, role, region, store): region EAST has SH01 and SH02, region SOUTH has GZ01.
STAFF_ACCOUNTS = [
    ("agent@test.cn", "service_agent", None, None),
    ("sh01@test.cn", "store_staff", None, "SH01"),
    ("gz01@test.cn", "store_staff", None, "GZ01"),
    ("south.agent@test.cn", "service_agent", "SOUTH", None),
    ("analyst@test.cn", "analyst", None, None),
]


@pytest.fixture(scope="session")
async def seed(app) -> dict:
    """Organisation, staff and partner apps shared by the API tests."""
    from domain.org.services import create_staff
    from domain.org.tables import Region, Store
    from domain.partners.services import create_partner

    await isolation.reset(app, "before the seed")  # no rows of earlier tests in the seed
    east = await Region.create(code="EAST", name="华东")
    south = await Region.create(code="SOUTH", name="华南")
    await Store.create(code="SH01", name="上海徐汇店", region=east)
    await Store.create(code="SH02", name="上海浦东店", region=east)
    await Store.create(code="GZ01", name="广州天河店", region=south)
    await create_staff("admin@test.cn", STAFF_PASSWORD, "admin")
    for email, role, region, store in STAFF_ACCOUNTS:
        await create_staff(email, STAFF_PASSWORD, role, region_code=region, store_code=store)
    full, full_secret = await create_partner(
        "pos", ["members:read", "members:write", "orders:write"]
    )
    narrow, narrow_secret = await create_partner("shop", ["orders:write"])
    await isolation.snapshot(app)  # what every module starts from
    return {
        "staff": ("admin@test.cn", STAFF_PASSWORD),
        "partner": (full.client_id, full_secret),
        "narrow_partner": (narrow.client_id, narrow_secret),
    }


# (code, name, rank, qualifying spend in fen, points multiplier %)
LADDER = [
    ("REGULAR", "普通会员", 0, 0, 100),
    ("SILVER", "银卡会员", 1, 200_000, 120),
    ("GOLD", "金卡会员", 2, 800_000, 150),
    ("DIAMOND", "钻石会员", 3, 2_000_000, 200),
]


@pytest.fixture
async def ladder(seed) -> dict:
    """The default ladder (regular -> silver -> gold -> diamond), by code."""
    from domain.tiers.tables import Tier

    out = {}
    for code, name, rank, fen, pct in LADDER:
        out[code], _ = await Tier.update_or_create(
            code=code,
            defaults={
                "name": name,
                "rank": rank,
                "threshold_fen": fen,
                "points_multiplier_pct": pct,
            },
        )
    return out


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    """Every test ends on the real clock, whatever it moved (``domain.clock.advance``)."""
    yield
    from domain import clock

    clock.reset()


def pytest_configure(config) -> None:
    masked.register(config)


@pytest.fixture
async def client(app, seed, request) -> AsyncIterator[httpx.AsyncClient]:
    """The API over the test transport; a masked error fails the test (tests/masked.py)."""
    await app.state.rt.cache.flushdb()  # rate-limit windows start empty in every test
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks=masked.hooks(request)
    ) as c:
        yield c


class GQL:
    """A tiny GraphQL client over the test transport."""

    def __init__(self, client: httpx.AsyncClient, token: str | None = None) -> None:
        self.client, self.token = client, token

    async def raw(self, query: str, variables: dict | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def __call__(self, query: str, variables: dict | None = None) -> dict:
        response = await self.raw(query, variables)
        assert response.status_code == 200, response.text
        return response.json()

    def as_(self, token: str) -> GQL:
        return GQL(self.client, token)


@pytest.fixture
def gql(client) -> GQL:
    return GQL(client)


SIGN_IN = """
mutation($phone: String!, $code: String!) {
  memberSignIn(phone: $phone, code: $code) {
    __typename
    ... on SignInSuccess { accessToken refreshToken expiresIn tokenType }
    ... on UserError { code message }
    ... on InvalidCodeError { attemptsLeft }
  }
}"""

REFRESH = """
mutation($t: String!) {
  tokenRefresh(refreshToken: $t) {
    __typename
    ... on SignInSuccess { accessToken refreshToken }
    ... on UserError { code message }
  }
}"""


OTP = """mutation($phone: String!) { otpRequest(phone: $phone) {
  __typename ... on OtpRequestSuccess { expiresAt resendAfterSeconds }
  ... on UserError { code message } ... on RateLimitedError { retryAfterSeconds } } }"""

STAFF_SIGN_IN = """mutation($e: String!, $p: String!) { staffSignIn(email: $e, password: $p) {
  __typename ... on SignInSuccess { accessToken refreshToken } ... on UserError { code } } }"""


async def sign_in_staff(gql: GQL, email: str, password: str = STAFF_PASSWORD) -> GQL:
    """A client signed in as this staff account."""
    r = (await gql(STAFF_SIGN_IN, {"e": email, "p": password}))["data"]["staffSignIn"]
    assert r["__typename"] == "SignInSuccess", r
    return gql.as_(r["accessToken"])


def dev_sink(var_dir: Path) -> list[dict]:
    """What the local sink sent so far (``var/dev-sink.jsonl``, written by any process);
    the only place a sign-in code can be read, outside production only."""
    import json

    from domain.notifications.adapters import DEV_SINK_FILE

    path = var_dir / DEV_SINK_FILE
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def request_code(gql: GQL, phone: str) -> str:
    """Ask for a code and read it from the local SMS sink once the worker sent it."""
    from domain.members.model import normalize_phone

    var_dir = gql.client._transport.app.state.settings.var_dir  # type: ignore[attr-defined]
    seen = len(dev_sink(var_dir))
    sent = (await gql(OTP, {"phone": phone}))["data"]["otpRequest"]
    assert sent["__typename"] == "OtpRequestSuccess", sent
    to = normalize_phone(phone)

    async def arrived() -> dict | None:
        new = dev_sink(var_dir)[seen:]
        return next((m for m in new if m["to"] == to and m["template"] == "otp"), None)

    message = await wait_for(arrived)
    return re.search(r"验证码 (\d{6})", message["body"]).group(1)


async def sign_in_by_sms(gql: GQL, phone: str) -> dict:
    return await sign_in_member(gql, phone, await request_code(gql, phone))


async def sign_in_member(gql: GQL, phone: str = TEST_PHONE, code: str = TEST_CODE) -> dict:
    result = await gql(SIGN_IN, {"phone": phone, "code": code})
    payload = result["data"]["memberSignIn"]
    assert payload["__typename"] == "SignInSuccess", payload
    return payload


async def partner_token(client: httpx.AsyncClient, creds: tuple[str, str], scope: str = "") -> str:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = await client.post("/oauth/token", data=data, auth=creds)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def wait_for(predicate, within: float = 10.0, interval: float = 0.05):
    """Poll an async predicate until it returns a truthy value (bounded)."""
    deadline = time.monotonic() + within
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)
