"""WeChat mini-program subscription messages (``subscribeMessage.send``).

The access token comes from ``/cgi-bin/stable_token``, which is meant for several
servers sharing one app: fetching it does not invalidate the token other processes
hold. It is kept until five minutes before it expires, and fetched again at once if
WeChat answers that it is invalid or expired.

Each of our templates maps to a WeChat template id, the page the card opens and its
fields: ``{"points_expiring": {"id": "...", "page": "pages/points/index",
"data": {"number1": "points", "date2": "date", "thing3": "body"}}}`` — every field
names one of the message's variables (``body`` is the rendered text). WeChat limits a
``thing`` field to 20 characters, so values are cut there.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from domain.notifications.model import PermanentProviderError, ProviderError

TOKEN_INVALID = {40001, 40014, 42001}  # invalid or expired access token: fetch a new one
# the member has not (or no longer) subscribed, the openid is not of this app, the
# template is unknown or its fields do not fit: sending again will not help
PERMANENT = {40003, 40037, 43101, 47003}
THING_MAX = 20


class WeChatSubscribe:
    name = "wechat-subscribe"

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        templates: dict[str, dict],
        api_base: str = "https://api.weixin.qq.com",
        state: str = "formal",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.app_id, self.app_secret, self.templates = app_id, app_secret, templates
        self.api_base, self.state, self.transport = api_base.rstrip("/"), state, transport
        self._token: tuple[str, float] | None = None  # (token, monotonic expiry)
        self._lock = asyncio.Lock()

    async def _access_token(self, client: httpx.AsyncClient, force: bool = False) -> str:
        async with self._lock:
            if not force and self._token and self._token[1] > time.monotonic():
                return self._token[0]
            response = await client.post(
                f"{self.api_base}/cgi-bin/stable_token",
                json={
                    "grant_type": "client_credential",
                    "appid": self.app_id,
                    "secret": self.app_secret,
                    "force_refresh": force,
                },
            )
            data = response.json()
            if "access_token" not in data:
                raise ProviderError(f"access token: {data.get('errcode')} {data.get('errmsg')}")
            lifetime = int(data.get("expires_in", 7200)) - 300
            self._token = (data["access_token"], time.monotonic() + max(lifetime, 60))
            return self._token[0]

    def payload(self, openid: str, body: str, template: str, variables: dict) -> dict:
        spec = self.templates.get(template)
        if spec is None:
            raise ProviderError(f"no WeChat template configured for {template!r}")
        values = {**variables, "body": body}
        data = {}
        for field, source in spec.get("data", {}).items():
            value = str(values.get(source, ""))
            if field.startswith("thing"):
                value = value[:THING_MAX]
            data[field] = {"value": value}
        message = {
            "touser": openid,
            "template_id": spec["id"],
            "miniprogram_state": self.state,
            "lang": "zh_CN",
            "data": data,
        }
        if spec.get("page"):
            message["page"] = spec["page"]
        return message

    async def send(self, recipient: str, body: str, template: str, variables: dict) -> str:
        message = self.payload(recipient, body, template, variables)
        async with httpx.AsyncClient(transport=self.transport, timeout=10) as client:
            for attempt in (1, 2):
                token = await self._access_token(client, force=attempt == 2)
                response = await client.post(
                    f"{self.api_base}/cgi-bin/message/subscribe/send",
                    params={"access_token": token},
                    json=message,
                )
                data = response.json()
                code = int(data.get("errcode", 0))
                if code in TOKEN_INVALID and attempt == 1:
                    continue
                break
        if code in PERMANENT:
            raise PermanentProviderError(f"WeChat {code}: {data.get('errmsg')}")
        if code != 0:
            raise ProviderError(f"WeChat {code}: {data.get('errmsg')}")
        return str(data.get("msgid", ""))
