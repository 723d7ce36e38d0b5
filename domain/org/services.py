"""Use cases of the organisation area."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.audit import services as audit
from domain.auth import sessions
from domain.auth.model import Principal, PrincipalKind, Role
from domain.auth.passwords import hash_secret
from domain.db import IntegrityError, in_transaction
from domain.errors import Conflict, InvalidInput, NotFound
from domain.org import store as org_store
from domain.org.model import check_attachment
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.org.tables import Staff

MIN_PASSWORD = 12


async def create_staff(
    email: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    region_code: str | None = None,
    store_code: str | None = None,
) -> Staff:
    parsed = check_attachment(role, region_code, store_code)
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput("Enter an email address.", field="email")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Use at least {MIN_PASSWORD} characters.", field="password")
    region = store = None
    if region_code:
        region = await org_store.region_by_code(region_code)
        if region is None:
            raise NotFound(f"No region {region_code!r}.", field="region")
    if store_code:
        store = await org_store.store_by_code(store_code)
        if store is None:
            raise NotFound(f"No store {store_code!r}.", field="store")
    try:
        async with in_transaction():
            return await org_store.create_staff(
                email=email,
                display_name=display_name or email.split("@")[0],
                password_hash=hash_secret(password),
                role=parsed.value,
                region=region,
                store=store,
            )
    except IntegrityError:
        raise InvalidInput(f"{email} already has an account.", field="email") from None


async def deactivate_staff(rt: Runtime, actor: Principal, staff_id: int, **why: str) -> Staff:
    """Deactivate a staff account and sign it out everywhere at once: its refresh tokens
    are revoked and every access token it holds is refused from now on, in every process.
    Audited; doing it again changes nothing more.

    Refused (``Conflict``, nothing changed) for the caller's own account and for the last
    active admin: either would leave nobody able to undo it through the API. The active
    admins are locked while counted, so two admins deactivating each other at once
    cannot both succeed."""
    if actor.kind is PrincipalKind.STAFF and actor.id == staff_id:
        raise Conflict(_SELF, field="staffId")
    async with in_transaction():
        staff = await org_store.staff_by_id(staff_id)
        if staff is None:
            raise NotFound(f"No staff account {staff_id}.", field="staffId")
        if staff.active and staff.role == Role.ADMIN.value:
            admins = await org_store.lock_active_admin_ids(Role.ADMIN.value)
            if set(admins) <= {staff_id}:
                raise Conflict(_LAST_ADMIN, field="staffId")
        changed = await org_store.deactivate_staff(staff_id)
        await audit.record(
            actor, "staff.deactivate", "staff", staff_id, already_inactive=not changed, **why
        )
    await sessions.revoke_subject(rt, f"staff:{staff_id}")
    staff.active = False
    return staff


_SELF = "You cannot deactivate your own account: ask another admin."
_LAST_ADMIN = "This is the last active admin: create or reactivate another admin first."
