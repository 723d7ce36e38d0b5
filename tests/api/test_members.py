"""Members through the API: registration, profile, cards, scan codes, identities,
consents, masking and reveal, and the audit trail they leave."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from strawberry.relay import to_base64

from domain import clock
from domain.audit.tables import AuditEntry
from domain.members.model import luhn_valid
from domain.members.tables import Card, Member, MemberTag
from tests.conftest import GQL, TEST_PHONE, sign_in_by_sms, sign_in_member
from tests.factories import LOOKUP, MEMBER_FIELDS, _node, my_pk, new_phone, partner, register

ME = f"{{ me {{ {MEMBER_FIELDS} card {{ scanCode {{ code expiresAt }} }} }} }}"

UPDATE = f"""mutation($in: MemberProfileInput!) {{ memberUpdate(input: $in) {{
  __typename ... on Member {{ {MEMBER_FIELDS} }}
  ... on UserError {{ code message }} ... on InvalidInputError {{ field }} }} }}"""


BY_SCAN = """query($c: String!) { memberByScanCode(code: $c) {
  __typename ... on Member { id } ... on UserError { code } } }"""

CARD = """mutation($id: ID) { %s(memberId: $id) {
  __typename ... on Card { number status scanCode { code } } ... on UserError { code } } }"""


async def counts() -> tuple[int, ...]:
    return (
        await Member.all().count(),
        await Card.all().count(),
        await MemberTag.all().count(),
        await AuditEntry.all().count(),
    )


async def test_partner_registers_member_who_signs_in_and_edits_profile(gql, client, seed):
    pos = await partner(gql, client, seed)
    phone = new_phone()
    fields = {"displayName": "李雷", "homeStoreCode": "SH01", "birthday": "1990-05-17"}
    first = await register(pos, phone, **fields)
    assert first["__typename"] == "MemberRegisterSuccess" and first["created"] is True
    m = first["member"]
    national = phone.removeprefix("+86")
    assert m["phone"] == f"{national[:3]}****{national[-4:]}"  # masked for the partner
    assert m["birthday"] is None and m["tags"] == ["new"]
    assert m["homeStore"] == {"code": "SH01", "region": {"code": "EAST"}}
    assert m["card"]["status"] == "ACTIVE" and len(m["card"]["number"]) == 16
    assert luhn_valid(m["card"]["number"])
    audited = await AuditEntry.filter(action="member.register").order_by("-id").first()
    assert audited.actor.startswith("partner:") and audited.target_id == _node(m["id"])

    # a retry by the same partner is answered with the same member, nothing new written
    before = await counts()
    again = await register(pos, phone, **fields)
    assert again["created"] is False and again["member"]["id"] == m["id"]
    assert await counts() == before

    me_client = gql.as_((await sign_in_by_sms(gql, phone))["accessToken"])
    me = (await me_client(ME))["data"]["me"]
    assert me["id"] == m["id"] and me["phone"] == phone and me["birthday"] == "1990-05-17"
    assert me["card"]["number"] == m["card"]["number"]

    changed = (
        await me_client(
            UPDATE,
            {
                "in": {
                    "displayName": "韩梅梅",
                    "incomeBand": "FROM_6K_TO_10K",
                    "homeStoreCode": "SH02",
                }
            },
        )
    )["data"]["memberUpdate"]
    assert changed["displayName"] == "韩梅梅" and changed["incomeBand"] == "FROM_6K_TO_10K"
    assert changed["homeStore"]["code"] == "SH02" and changed["birthday"] == "1990-05-17"

    # a birthday is set once by the member; a second change is refused and changes nothing
    refused = (await me_client(UPDATE, {"in": {"birthday": "1991-01-01"}}))["data"]["memberUpdate"]
    assert refused == {
        "__typename": "InvalidInputError",
        "code": "INVALID_INPUT",
        "message": refused["message"],
        "field": "birthday",
    }
    assert (await me_client(ME))["data"]["me"]["birthday"] == "1990-05-17"

    # withdrawing the income band erases it
    cleared = (await me_client(UPDATE, {"in": {"incomeBand": None}}))["data"]["memberUpdate"]
    assert cleared["incomeBand"] is None
    assert (await Member.get(id=int(await my_pk(me_client)))).income_enc is None


@pytest.mark.parametrize(
    ("phone", "store", "expected"),
    [
        ("12345", "SH01", ("InvalidPhoneError", "INVALID_PHONE")),
        ("+1 415 555 0100", "SH01", ("InvalidPhoneError", "INVALID_PHONE")),
        (TEST_PHONE, "SH01", ("PhoneTakenError", "PHONE_TAKEN")),
        (None, "NOPE", ("NotFoundError", "NOT_FOUND")),
    ],
)
async def test_bad_registrations_are_typed_and_write_nothing(gql, seed, phone, store, expected):
    await sign_in_member(gql)  # TEST_PHONE exists, registered by itself
    admin = await _staff(gql, "admin@test.cn")
    before = await counts()
    r = await register(admin, phone or new_phone(), homeStoreCode=store)
    assert (r["__typename"], r["code"]) == expected
    assert await counts() == before


async def test_a_partner_cannot_take_over_a_phone_registered_elsewhere(gql, client, seed):
    admin = await _staff(gql, "admin@test.cn")
    phone = new_phone()
    assert (await register(admin, phone))["created"] is True
    before = await counts()
    r = await register(await partner(gql, client, seed), phone)
    assert r["__typename"] == "PhoneTakenError"
    assert await counts() == before


async def _staff(gql: GQL, email: str) -> GQL:
    from tests.conftest import sign_in_staff

    return await sign_in_staff(gql, email)


async def test_scan_code_works_in_its_lifetime_only_and_not_altered(gql, client, seed, settings):
    member = gql.as_((await sign_in_member(gql))["accessToken"])
    me = (await member(ME))["data"]["me"]
    code = me["card"]["scanCode"]["code"]
    pos = await partner(gql, client, seed, "members:read")

    found = (await pos(BY_SCAN, {"c": code}))["data"]["memberByScanCode"]
    assert found == {"__typename": "Member", "id": me["id"]}
    by_query = (await pos(LOOKUP, {"ref": {"query": code}}))["data"]["memberLookup"]
    assert by_query["id"] == me["id"]

    for i in (0, 17, len(code) - 1):  # one digit changed anywhere, expiry included
        altered = code[:i] + str((int(code[i]) + 1) % 10) + code[i + 1 :]
        r = (await pos(BY_SCAN, {"c": altered}))["data"]["memberByScanCode"]
        assert r == {"__typename": "ScanCodeInvalidError", "code": "SCAN_CODE_INVALID"}

    clock.advance(timedelta(seconds=settings.scan_code_ttl_s + 1))
    try:
        late = (await pos(BY_SCAN, {"c": code}))["data"]["memberByScanCode"]
        assert late == {"__typename": "ScanCodeExpiredError", "code": "SCAN_CODE_EXPIRED"}
    finally:
        clock.reset()

    # the scan code is the holder's: staff and partners reading the card get none
    admin = await _staff(gql, "admin@test.cn")
    seen = (
        await admin(
            "query($id: ID!) { member(id: $id) { card { scanCode { code } } } }", {"id": me["id"]}
        )
    )["data"]["member"]
    assert seen == {"card": {"scanCode": None}}


async def test_lost_card_is_blocked_and_replacement_keeps_the_member(gql, client, seed):
    admin = await _staff(gql, "admin@test.cn")
    reg = await register(admin, new_phone(), homeStoreCode="SH01")
    mid, old = reg["member"]["id"], reg["member"]["card"]["number"]
    pos = await partner(gql, client, seed, "members:read")

    lost = (await admin(CARD % "cardReportLost", {"id": mid}))["data"]["cardReportLost"]
    assert lost["status"] == "LOST" and lost["number"] == old
    r = (await pos(LOOKUP, {"ref": {"cardNumber": old}}))["data"]["memberLookup"]
    assert r == {
        "__typename": "CardNotActiveError",
        "code": "CARD_NOT_ACTIVE",
        "cardStatus": "LOST",
    }

    new = (await admin(CARD % "cardReplace", {"id": mid}))["data"]["cardReplace"]
    assert new["status"] == "ACTIVE" and new["number"] != old and luhn_valid(new["number"])
    assert (await pos(LOOKUP, {"ref": {"cardNumber": new["number"]}}))["data"]["memberLookup"][
        "id"
    ] == mid
    r = (await pos(LOOKUP, {"ref": {"cardNumber": old}}))["data"]["memberLookup"]
    assert r["cardStatus"] == "REPLACED"
    assert await Card.filter(member_id=int(_node(mid))).count() == 1


async def test_concurrent_card_issues_leave_exactly_one_card(gql, seed, app):
    """A member without a card (as a legacy import leaves them); ten issues at once."""
    from domain.members.store import PHONE_CONTEXT

    rt = app.state.rt
    phone = new_phone()
    row = await Member.create(
        phone_hash=rt.phone_index(phone),
        phone_enc=rt.cipher.encrypt(phone, context=PHONE_CONTEXT),
        registration_channel="STORE",
    )
    admin = await _staff(gql, "admin@test.cn")
    gid = to_base64("Member", row.id)
    results = await asyncio.gather(*(admin(CARD % "cardIssue", {"id": gid}) for _ in range(10)))
    numbers = {r["data"]["cardIssue"]["number"] for r in results}
    assert len(numbers) == 1
    assert await Card.filter(member_id=row.id).count() == 1


async def test_staff_see_phone_masked_and_reveal_is_audited(gql, seed):
    admin = await _staff(gql, "admin@test.cn")
    phone = new_phone()
    reg = await register(admin, phone, homeStoreCode="SH01", birthday="1985-02-03")
    mid = reg["member"]["id"]
    store = await _staff(gql, "sh01@test.cn")
    seen = (
        await store(
            "query($id: ID!) { member(id: $id) { phone birthday incomeBand } }", {"id": mid}
        )
    )["data"]["member"]
    assert seen["phone"].count("*") == 4 and seen["birthday"] is None

    reveal = """mutation($id: ID!, $why: String!) { memberRevealPersonalData(
      memberId: $id, reason: $why, fields: [PHONE, BIRTHDAY]) {
      __typename ... on RevealedPersonalData { phone birthday } ... on UserError { code } } }"""
    before = await AuditEntry.all().count()
    denied = await store(reveal, {"id": mid, "why": "customer called"})
    assert denied["data"] is None and denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await AuditEntry.all().count() == before

    agent = await _staff(gql, "agent@test.cn")
    shown = (await agent(reveal, {"id": mid, "why": "回访核实身份"}))["data"][
        "memberRevealPersonalData"
    ]
    assert shown == {"__typename": "RevealedPersonalData", "phone": phone, "birthday": "1985-02-03"}
    entry = await AuditEntry.filter(action="member.reveal").order_by("-id").first()
    assert entry.actor.startswith("staff:") and entry.actor_role == "service_agent"
    assert entry.detail == {"fields": ["phone", "birthday"], "reason": "回访核实身份"}
    assert entry.target_id == _node(mid) and entry.client_ip

    log = """query($a: String) { auditLog(action: $a, first: 5) {
      edges { node { actor action targetId detail } } } }"""
    rows = (await admin(log, {"a": "member.reveal"}))["data"]["auditLog"]["edges"]
    assert rows[0]["node"]["targetId"] == _node(mid)
    assert rows[0]["node"]["detail"]["reason"] == "回访核实身份"
    forbidden = await agent(log, {"a": "member.reveal"})
    assert forbidden["data"] is None and forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_audit_rows_cannot_be_changed_or_deleted(gql, seed):
    admin = await _staff(gql, "admin@test.cn")
    await register(admin, new_phone())
    entry = await AuditEntry.all().order_by("-id").first()
    # the trigger (SQLite, and PostgreSQL's owner) or the app role's missing rights
    with pytest.raises(Exception, match=r"append-only|permission denied"):
        await AuditEntry.filter(id=entry.id).update(actor="someone else")
    with pytest.raises(Exception, match=r"append-only|permission denied"):
        await AuditEntry.filter(id=entry.id).delete()
    again = await AuditEntry.get(id=entry.id)
    assert (again.actor, again.action) == (entry.actor, entry.action)


async def test_frozen_member_cannot_sign_in_and_only_service_roles_freeze(gql, seed):
    phone = new_phone()
    admin = await _staff(gql, "admin@test.cn")
    mid = (await register(admin, phone, homeStoreCode="SH01"))["member"]["id"]
    freeze = """mutation($id: ID!, $s: MemberStatus!) {
      memberUpdateByStaff(memberId: $id, input: {status: $s}) {
      __typename ... on Member { status } ... on UserError { code } } }"""
    store = await _staff(gql, "sh01@test.cn")
    r = (await store(freeze, {"id": mid, "s": "FROZEN"}))["data"]["memberUpdateByStaff"]
    assert r == {"__typename": "PermissionDeniedError", "code": "PERMISSION_DENIED"}
    assert (await Member.get(id=int(_node(mid)))).status == "ACTIVE"

    agent = await _staff(gql, "agent@test.cn")
    r = (await agent(freeze, {"id": mid, "s": "FROZEN"}))["data"]["memberUpdateByStaff"]
    assert r == {"__typename": "Member", "status": "FROZEN"}
    from tests.conftest import SIGN_IN, request_code

    code = await request_code(gql, phone)
    signed = (await gql(SIGN_IN, {"phone": phone, "code": code}))["data"]["memberSignIn"]
    assert signed["__typename"] == "PermissionDeniedError"


async def test_members_list_filters(gql, seed):
    admin = await _staff(gql, "admin@test.cn")
    phone = new_phone()
    reg = (await register(admin, phone, homeStoreCode="GZ01"))["member"]
    query = """query($f: MemberFilterInput) { members(filter: $f, first: 100) {
      edges { node { id } } pageInfo { hasNextPage } } }"""

    async def ids(**f) -> list[str]:
        r = await admin(query, {"f": f})
        return [e["node"]["id"] for e in r["data"]["members"]["edges"]]

    assert await ids(phone=phone) == [reg["id"]]
    assert await ids(cardNumber=reg["card"]["number"]) == [reg["id"]]
    assert reg["id"] in await ids(storeCode="GZ01", tag="new")
    assert reg["id"] not in await ids(storeCode="SH01")
    later = (clock.now() + timedelta(days=1)).isoformat()
    assert await ids(registeredFrom=later) == []
    assert reg["id"] in await ids(registeredBefore=later, storeCode="GZ01")
