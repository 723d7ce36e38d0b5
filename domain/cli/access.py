"""Commands that administer access: partner apps, staff accounts, signing keys, sign-in
lockouts and deactivation (each audited where the service audits it)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from domain.cli.base import Command, with_db
from domain.config import Settings
from domain.runtime import Runtime


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

    with_db(s, job)
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

    with_db(s, job)
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

    with_db(s, job)
    return 0


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
    from domain.org import store as org_store
    from domain.org.services import deactivate_staff

    async def job(rt: Runtime) -> int:
        ref = a.staff.strip()
        staff = await org_store.staff_by_id_or_email(ref)
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

    return with_db(s, job)


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

    with_db(s, job)
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

    lifted = with_db(s, job)
    print(f"{kind.value} {a.account}: " + ("lockout lifted" if lifted else "was not locked"))
    return 0


def _partner_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", required=True)
    p.add_argument("--scopes", required=True, help='e.g. "members:read orders:write"')


def _staff_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--email", required=True)
    p.add_argument("--role", required=True)
    p.add_argument("--name")
    p.add_argument("--region")
    p.add_argument("--store")


def _unlock_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("account", help="a staff email, or a client id with --partner")
    p.add_argument("--partner", action="store_true", help="the account is a client id")


COMMANDS = {
    "partner-create": Command(
        cmd_partner_create, "create a partner app; prints its secret once", _partner_arguments
    ),
    "staff-create": Command(
        cmd_staff_create, "create a staff account (STAFF_PASSWORD or prompt)", _staff_arguments
    ),
    "key-rotate": Command(cmd_key_rotate, "create a new JWT signing key; retire expired ones"),
    "staff-deactivate": Command(
        cmd_staff_deactivate,
        "deactivate a staff account; revoke its tokens",
        lambda p: p.add_argument("staff", help="the staff email or id"),
    ),
    "partner-deactivate": Command(
        cmd_partner_deactivate,
        "deactivate a partner app; revoke its tokens",
        lambda p: p.add_argument("client_id"),
    ),
    "signin-unlock": Command(
        cmd_signin_unlock,
        "lift the sign-in lockout of a staff email or client id",
        _unlock_arguments,
    ),
}
