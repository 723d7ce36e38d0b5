"""App push through JPush (极光推送) REST API v3, ``POST /v3/push``.

The app registers each device under the alias ``member:<id>`` when the member signs
in, so a message goes to every device of that member. Authentication is HTTP Basic
with the app key and master secret.
"""

from __future__ import annotations

import httpx

from domain.notifications.model import PermanentProviderError, ProviderError

# 1011: no device registered under this alias; 1003/1004: the request or the
# credentials are wrong and stay wrong until the configuration changes
PERMANENT = {1003, 1011}
TITLE = "鲜选会员"


class JPush:
    name = "jpush"

    def __init__(
        self,
        *,
        app_key: str,
        master_secret: str,
        endpoint: str = "https://api.jpush.cn/v3/push",
        apns_production: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.auth = httpx.BasicAuth(app_key, master_secret)
        self.endpoint, self.apns_production, self.transport = endpoint, apns_production, transport

    def payload(self, alias: str, body: str, template: str, variables: dict) -> dict:
        extras = {"template": template, **{k: str(v) for k, v in variables.items()}}
        return {
            "platform": "all",
            "audience": {"alias": [alias]},
            "notification": {
                "alert": body,
                "android": {"alert": body, "title": TITLE, "extras": extras},
                "ios": {"alert": body, "sound": "default", "extras": extras},
            },
            "options": {"apns_production": self.apns_production, "time_to_live": 86_400},
        }

    async def send(self, recipient: str, body: str, template: str, variables: dict) -> str:
        message = self.payload(recipient, body, template, variables)
        async with httpx.AsyncClient(transport=self.transport, timeout=10) as client:
            response = await client.post(self.endpoint, json=message, auth=self.auth)
        try:
            data = response.json()
        except ValueError:
            raise ProviderError(f"JPush HTTP {response.status_code}") from None
        if response.status_code == 200 and "msg_id" in data:
            return str(data["msg_id"])
        error = data.get("error", {})
        code = int(error.get("code", 0) or 0)
        text = f"JPush {code or response.status_code}: {error.get('message', '')}"
        if code in PERMANENT:
            raise PermanentProviderError(text)
        raise ProviderError(text)
