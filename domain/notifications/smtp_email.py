"""E-mail over SMTP (aiosmtplib): implicit TLS (port 465), STARTTLS (587) or plain
(a relay on the local network). The subject is the first line of the rendered body."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from domain.notifications.model import PermanentProviderError, ProviderError

SUBJECT = "鲜选会员"


class SmtpEmail:
    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str = "",
        password: str = "",
        security: str = "starttls",  # tls / starttls / none
        timeout: float = 15,  # SMTP_TIMEOUT_S
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.security, self.timeout = security, timeout

    def build(self, recipient: str, body: str) -> EmailMessage:
        message = EmailMessage()
        first, _, rest = body.partition("\n")
        message["From"], message["To"] = self.sender, recipient
        message["Subject"] = f"{SUBJECT}：{first}" if rest else SUBJECT
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(body)  # UTF-8, the Chinese text survives every hop
        return message

    async def send(self, recipient: str, body: str, template: str, variables: dict) -> str:
        message = self.build(recipient, body)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username or None,
                password=self.password or None,
                use_tls=self.security == "tls",
                start_tls=self.security == "starttls",
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refusal.code for refusal in exc.recipients]
            if all(code >= 500 for code in codes):  # 5xx: the address will not take it
                raise PermanentProviderError(f"SMTP refused {recipient}: {codes}") from None
            raise ProviderError(f"SMTP deferred {recipient}: {codes}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ProviderError(f"SMTP: {exc}") from None
        return message["Message-ID"]
