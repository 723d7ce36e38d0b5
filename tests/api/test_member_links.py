"""Member links through the API: consents, channel identities, and partner lookups in
the configured order."""

from __future__ import annotations

from domain.members.tables import Consent, MemberIdentity
from tests.conftest import sign_in_by_sms
from tests.factories import LOOKUP, my_pk, new_phone, partner, register

CONSENT = """mutation($c: [ConsentInput!]!) { consentUpdate(consents: $c) {
  __typename ... on ConsentUpdateSuccess { consents { purpose granted policyVersion } }
  ... on UserError { code } } }"""


async def test_consent_is_granted_and_withdrawn_per_purpose_with_history(gql, seed):
    phone = new_phone()
    member = gql.as_((await sign_in_by_sms(gql, phone))["accessToken"])
    pk = int(await my_pk(member))
    grant = [
        {"purpose": "MARKETING_SMS", "granted": True},
        {"purpose": "PERSONALISATION", "granted": True},
    ]
    r = (await member(CONSENT, {"c": grant}))["data"]["consentUpdate"]["consents"]
    state = {c["purpose"]: c["granted"] for c in r}
    assert state["MARKETING_SMS"] and state["PERSONALISATION"] and not state["MARKETING_PUSH"]
    assert {c["policyVersion"] for c in r if c["granted"]} == {"2026-01"}

    withdraw = [{"purpose": "MARKETING_SMS", "granted": False}]
    r = (await member(CONSENT, {"c": withdraw}))["data"]["consentUpdate"]["consents"]
    assert {c["purpose"]: c["granted"] for c in r}["MARKETING_SMS"] is False
    # the same choice again records nothing new; history keeps all three rows
    await member(CONSENT, {"c": withdraw})
    rows = await Consent.filter(member_id=pk).order_by("id").values_list("purpose", "granted")
    assert rows == [("MARKETING_SMS", True), ("PERSONALISATION", True), ("MARKETING_SMS", False)]


LINK = """mutation($id: ID, $ch: IdentityChannel!, $x: String!) {
  identityLink(memberId: $id, channel: $ch, externalId: $x) {
  __typename ... on MemberIdentity { channel externalId } ... on UserError { code } } }"""


async def test_identities_link_once_and_find_the_member(gql, client, seed):
    pos = await partner(gql, client, seed)
    a = (await register(pos, new_phone()))["member"]["id"]
    b = (await register(pos, new_phone()))["member"]["id"]
    args = {"id": a, "ch": "MINI_PROGRAM_OPENID", "x": "oAbC-123"}
    first = (await pos(LINK, args))["data"]["identityLink"]
    assert first == {
        "__typename": "MemberIdentity",
        "channel": "MINI_PROGRAM_OPENID",
        "externalId": "oAbC-123",
    }
    assert (await pos(LINK, args))["data"]["identityLink"] == first  # idempotent
    before = await MemberIdentity.all().count()
    taken = (await pos(LINK, {**args, "id": b}))["data"]["identityLink"]
    assert taken == {"__typename": "IdentityTakenError", "code": "IDENTITY_TAKEN"}
    assert await MemberIdentity.all().count() == before
    ref = {"identityChannel": "MINI_PROGRAM_OPENID", "identityExternalId": "oAbC-123"}
    assert (await pos(LOOKUP, {"ref": ref}))["data"]["memberLookup"]["id"] == a


async def test_lookup_tries_the_configured_order(gql, client, seed, app, monkeypatch):
    pos = await partner(gql, client, seed)
    phone_a, phone_b = new_phone(), new_phone()
    a = (await register(pos, phone_a))["member"]
    b = (await register(pos, phone_b))["member"]
    ref = {"cardNumber": a["card"]["number"], "phone": phone_b}
    assert (await pos(LOOKUP, {"ref": ref}))["data"]["memberLookup"]["id"] == a["id"]
    rt = app.state.rt
    monkeypatch.setattr(
        rt, "settings", rt.settings.model_copy(update={"member_lookup_order": ["phone"]})
    )
    assert (await pos(LOOKUP, {"ref": ref}))["data"]["memberLookup"]["id"] == b["id"]
    # an unknown card falls through to the next kind that matches
    monkeypatch.undo()
    ref = {"cardNumber": "8000000000000000", "phone": phone_b}
    assert (await pos(LOOKUP, {"ref": ref}))["data"]["memberLookup"]["id"] == b["id"]
