"""Local fakes of the notification providers, served over real HTTP/SMTP on 127.0.0.1
by the test that needs them. Each behaves as the provider documents it: it checks
credentials, answers with the provider's error codes and keeps what it accepted."""

from __future__ import annotations

import base64
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.processes import free_port


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Run ``app`` on a free local port in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class FakeWeChat:
    """``/cgi-bin/stable_token`` and ``/cgi-bin/message/subscribe/send``."""

    app_id: str = "wx-test-app"
    secret: str = "wx-secret"
    templates: set[str] = field(default_factory=lambda: {"TPL-POINTS"})
    subscribed: set[str] = field(default_factory=set)  # openids that accepted the template
    token: str | None = None
    token_requests: list[dict] = field(default_factory=list)
    sent: list[dict] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def expire_token(self) -> None:
        self.token = f"tok-expired-{next(self._ids)}"  # what the client holds is stale now

    async def _stable_token(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.token_requests.append(body)
        if (body.get("appid"), body.get("secret")) != (self.app_id, self.secret):
            return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
        if self.token is None or self.token.startswith("tok-expired") or body["force_refresh"]:
            self.token = f"tok-{next(self._ids)}"
        return JSONResponse({"access_token": self.token, "expires_in": 7200})

    async def _send(self, request: Request) -> JSONResponse:
        body = await request.json()
        if request.query_params.get("access_token") != self.token:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        if body.get("template_id") not in self.templates:
            return JSONResponse({"errcode": 40037, "errmsg": "invalid template_id"})
        if body.get("touser") not in self.subscribed:
            return JSONResponse({"errcode": 43101, "errmsg": "user refuse to accept the msg"})
        self.sent.append(body)
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": 700 + len(self.sent)})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/cgi-bin/stable_token", self._stable_token, methods=["POST"]),
                Route("/cgi-bin/message/subscribe/send", self._send, methods=["POST"]),
            ]
        )


@dataclass
class FakeJPush:
    """``POST /v3/push`` with HTTP Basic app key : master secret."""

    app_key: str = "jpush-key"
    master_secret: str = "jpush-secret"
    aliases: set[str] = field(default_factory=set)  # aliases with a registered device
    pushed: list[dict] = field(default_factory=list)
    down: bool = False

    async def _push(self, request: Request) -> JSONResponse:
        if self.down:
            return JSONResponse({"error": {"code": 1000, "message": "server error"}}, 500)
        expected = base64.b64encode(f"{self.app_key}:{self.master_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": {"code": 1004, "message": "Authen failed"}}, 401)
        body = await request.json()
        if not set(body["audience"]["alias"]) & self.aliases:
            error = {"code": 1011, "message": "cannot find user by this audience"}
            return JSONResponse({"error": error}, 400)
        self.pushed.append(body)
        return JSONResponse({"sendno": "0", "msg_id": str(54000 + len(self.pushed))})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v3/push", self._push, methods=["POST"])])


class SmtpInbox:
    """aiosmtpd handler: keeps accepted envelopes, refuses unknown local parts."""

    def __init__(self, refuse: set[str]) -> None:
        self.refuse, self.envelopes = refuse, []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(user: str, password: str, refuse: set[str]) -> Iterator[tuple[int, SmtpInbox]]:
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok)

    inbox = SmtpInbox(refuse)
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_require_tls=False,  # the test server speaks plain SMTP on loopback
        auth_required=True,
    )
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


VARS = {"points": "120", "date": "2026-12-31"}


WECHAT_TEMPLATES = {
    "points_expiring": {
        "id": "TPL-POINTS",
        "page": "pages/points/index",
        "data": {"number1": "points", "date2": "date", "thing3": "body"},
    }
}
