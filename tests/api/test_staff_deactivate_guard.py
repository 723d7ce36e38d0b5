"""An admin cannot deactivate their own account, nor the last active admin: either would
leave nobody able to undo it through the API. Refused with ConflictError; nothing
changes (the account stays active, its tokens work, no audit row)."""

from __future__ import annotations

import asyncio
import secrets

from domain.audit.tables import AuditEntry
from domain.org.services import create_staff
from domain.org.tables import Staff
from tests.conftest import STAFF_PASSWORD, sign_in_staff

DEACTIVATE = """mutation($id: ID!) { staffDeactivate(staffId: $id) {
  __typename ... on UserError { code message } } }"""
VIEWER = """{ viewer { kind role } }"""


async def _deactivations() -> int:
    return await AuditEntry.filter(action="staff.deactivate").count()


async def test_an_admin_cannot_deactivate_their_own_account(gql, seed):
    admin = await sign_in_staff(gql, seed["staff"][0])
    me = await Staff.get(email=seed["staff"][0])
    before = await _deactivations()
    r = (await admin(DEACTIVATE, {"id": str(me.id)}))["data"]["staffDeactivate"]
    assert r["__typename"] == "ConflictError" and r["code"] == "CONFLICT"
    assert "your own account" in r["message"]
    assert (await Staff.get(id=me.id)).active
    assert await _deactivations() == before
    assert (await admin(VIEWER))["data"]["viewer"] == {"kind": "STAFF", "role": "ADMIN"}


async def test_two_admins_deactivating_each_other_at_once_leave_one(gql, seed):
    """The only way to reach the last admin through the API: each of two admins
    deactivates the other at the same moment. Exactly one succeeds."""
    seed_admin = await Staff.get(email=seed["staff"][0])
    emails = [f"admin.{secrets.token_hex(3)}@test.cn" for _ in range(2)]
    for email in emails:
        await create_staff(email, STAFF_PASSWORD, "admin")
    admins = [await sign_in_staff(gql, e) for e in emails]
    ids = [(await Staff.get(email=e)).id for e in emails]
    others = Staff.filter(role="admin", active=True).exclude(id__in=ids)
    parked = list(await others.values_list("id", flat=True))
    await Staff.filter(id__in=parked).update(role="analyst")  # leave exactly two admins
    try:
        before = await _deactivations()
        answers = await asyncio.gather(
            admins[0](DEACTIVATE, {"id": str(ids[1])}), admins[1](DEACTIVATE, {"id": str(ids[0])})
        )
        results = [a["data"]["staffDeactivate"] for a in answers]
        assert sorted(r["__typename"] for r in results) == [
            "ConflictError",
            "StaffDeactivateSuccess",
        ]
        refused = next(r for r in results if r["__typename"] == "ConflictError")
        assert "last active admin" in refused["message"]
        assert await Staff.filter(id__in=ids, active=True).count() == 1
        assert await _deactivations() == before + 1
    finally:
        await Staff.filter(id__in=parked).update(role="admin")
    assert seed_admin.id in parked
