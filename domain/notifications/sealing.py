"""Message text at rest: encrypted, secrets masked, erased after use.

A message row holds its text and template variables AES-GCM encrypted with the member
data keys (``domain.crypto``), so a database dump shows neither display names nor
anything else personal. Secret variables (sign-in codes) never appear in the stored
text: it is rendered with them masked. The provider's copy is rendered at delivery
from the encrypted variables, which lose their secrets as soon as the message is sent
or fails; ``otp_challenges`` keeps only a keyed hash of the code.
"""

from __future__ import annotations

import json
from typing import Any, TypedDict

from domain.crypto import Cipher
from domain.notifications.model import Channel, UnknownTemplate, render

BODY_CONTEXT = "messages.body"
VARIABLES_CONTEXT = "messages.variables"
SECRET_VARIABLES = frozenset({"code"})
MASK = "******"


def masked(variables: dict[str, str]) -> dict[str, str]:
    return {k: (MASK if k in SECRET_VARIABLES else v) for k, v in variables.items()}


class Sealed(TypedDict):
    body_enc: str
    variables_enc: str


def seal(cipher: Cipher, template: str, channel: Channel, variables: dict[str, object]) -> Sealed:
    """The encrypted columns of a new message (``body_enc``, ``variables_enc``)."""
    values = {k: str(v) for k, v in variables.items()}
    return {
        "body_enc": cipher.encrypt(render(template, channel, masked(values)), context=BODY_CONTEXT),
        "variables_enc": seal_variables(cipher, values),
    }


def seal_variables(cipher: Cipher, values: dict[str, str]) -> str:
    return cipher.encrypt(json.dumps(values, ensure_ascii=False), context=VARIABLES_CONTEXT)


def variables_of(cipher: Cipher, variables_enc: str) -> dict[str, str]:
    if not variables_enc:
        return {}
    return json.loads(cipher.decrypt(variables_enc, context=VARIABLES_CONTEXT))


def body_of(cipher: Cipher, body_enc: str) -> str:
    """The stored text as staff see it ("" once purged)."""
    return cipher.decrypt(body_enc, context=BODY_CONTEXT) if body_enc else ""


def provider_copy(cipher: Cipher, message: Any) -> tuple[str, dict[str, str]]:
    """The text and variables a provider gets: secrets filled in from the variables."""
    variables = variables_of(cipher, message.variables_enc)
    if SECRET_VARIABLES & variables.keys():
        return render(message.template, Channel(message.channel), variables), variables
    return body_of(cipher, message.body_enc), variables


def without_secrets(cipher: Cipher, variables: dict[str, str]) -> str | None:
    """The new ``variables_enc`` once the message is out, or None when it has no secret."""
    if not SECRET_VARIABLES & variables.keys():
        return None
    return seal_variables(cipher, masked(variables))


TERMINAL = ("SENT", "FAILED", "SUPPRESSED")


async def encrypt_clear_rows(apps: Any, schema_editor: Any) -> None:
    """Migration 0013: encrypt the rows written in clear, with the migrating process's keys."""
    client = schema_editor.client
    _, rows = await client.execute_query(
        "SELECT id, template, channel, status, body, variables FROM messages ORDER BY id"
    )
    if not rows:
        return
    from domain.config import get_settings

    cipher = Cipher.from_settings(get_settings())
    mark = "$1, body_enc = $2 WHERE id = $3"
    if client.capabilities.dialect != "postgres":
        mark = "?, body_enc = ? WHERE id = ?"
    for row in rows:
        raw = row["variables"]
        loaded = json.loads(raw) if isinstance(raw, str) else raw or {}
        values = {k: str(v) for k, v in loaded.items()}
        if row["status"] in TERMINAL:
            values = masked(values)
        try:
            body = render(row["template"], Channel(row["channel"]), masked(values))
        except (UnknownTemplate, ValueError, KeyError):
            body = row["body"] if not SECRET_VARIABLES & values.keys() else ""
        await client.execute_query(
            f"UPDATE messages SET variables_enc = {mark}",  # noqa: S608 - fixed text
            [
                seal_variables(cipher, values),
                cipher.encrypt(body, context=BODY_CONTEXT),
                row["id"],
            ],
        )
