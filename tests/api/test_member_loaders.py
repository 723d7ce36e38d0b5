"""The relations of a member (points, consents, tier progress and history, claimable
coupons, card, tags...) are read per relation for the whole page, not per member: a staff
list of 50 members sends exactly as many statements as one of 5."""

from __future__ import annotations

from datetime import timedelta

from domain import clock
from tests.conftest import partner_token, sign_in_staff, wait_for
from tests.factories import ORDER, REGISTER, as_member, new_phone, order_input
from tests.factories import pk_of as _pk
from tests.statements import statements

RELATIONS = """id displayName tags card { number status }
  homeStore { code region { code } } region { code }
  points { balance pending debt availableSoon { points at } expiring(days: 3660) { points } }
  consents { purpose granted policyVersion recordedAt }
  tier { code }
  tierProgress { current { code } next { code } qualifyingSpendFen spendToNextFen reviewAt }
  tierHistory { fromCode toCode reason qualifyingMeasure createdAt }
  claimableCoupons { templateCode name stockLeft }"""
PAGE = f"""query($first: Int!, $since: DateTime!) {{
  members(first: $first, filter: {{ registeredFrom: $since }}) {{
    edges {{ node {{ {RELATIONS} }} }} }} }}"""
ONE = f"""query($id: ID!) {{ member(id: $id) {{ {RELATIONS} }} }}"""
CONSENT = """mutation { consentUpdate(consents: [{ purpose: MARKETING_SMS, granted: true }]) {
  __typename } }"""
OVERRIDE = """mutation($id: ID!, $until: DateTime!) { tierOverride(memberId: $id,
  tierCode: "GOLD", until: $until, reason: "重要客户关怀") { __typename } }"""


async def _register(pos, n: int) -> list[tuple[str, str]]:
    out = []
    for _ in range(n):
        r = await pos(REGISTER, {"in": {"phone": new_phone(), "homeStoreCode": "SH01"}})
        m = r["data"]["memberRegister"]["member"]
        out.append((m["id"], m["card"]["number"]))
    return out


async def test_a_staff_list_reads_each_relation_once_whatever_its_length(
    gql, client, seed, app, ladder
):
    since = clock.now().isoformat()  # only the members made below
    pos = gql.as_(await partner_token(client, seed["partner"]))
    made = await _register(pos, 50)
    admin = await sign_in_staff(gql, *seed["staff"])
    # some members with something in each relation: points, a consent, a tier change
    for _gid, card in made[:3]:
        r = await pos(ORDER, {"in": order_input(card, fen=12_300)})
        assert r["data"]["orderCreate"]["__typename"] == "OrderCreateSuccess"
    member = await as_member(gql, app, _pk(made[1][0]))
    assert (await member(CONSENT))["data"]["consentUpdate"]["__typename"] == "ConsentUpdateSuccess"
    until = (clock.now() + timedelta(days=90)).isoformat()
    r = await admin(OVERRIDE, {"id": made[2][0], "until": until})
    assert r["data"]["tierOverride"]["__typename"] == "TierHistoryEntry"

    async def page(first: int) -> tuple[list[dict], list[str]]:
        with statements() as sent:
            r = await admin(PAGE, {"first": first, "since": since})
        assert "errors" not in r, r
        return [e["node"] for e in r["data"]["members"]["edges"]], sent

    async def alone(gid: str) -> dict:
        return (await admin(ONE, {"id": gid}))["data"]["member"]

    async def agrees() -> dict[str, dict] | None:
        """The page, once it says for each member what a one-member read says (the
        worker places the buyers on their tier meanwhile, on PostgreSQL in its process)."""
        by_id = {m["id"]: m for m in (await page(50))[0]}
        for gid, _card in made[:4] + made[-2:]:
            if by_id[gid] != await alone(gid):
                return None
        return by_id

    by_id = await wait_for(agrees, within=30)  # each member's relations are their own
    five, few = await page(5)
    fifty, many = await page(50)
    assert len(five) == 5 and {m["id"] for m in fifty} == {gid for gid, _card in made}
    assert len(many) == len(few), "\n".join(many)  # constant, not one query per member

    assert by_id[made[0][0]]["points"]["pending"] == 123
    assert by_id[made[3][0]]["points"]["pending"] == 0
    granted = {c["purpose"]: c["granted"] for c in by_id[made[1][0]]["consents"]}
    assert granted["MARKETING_SMS"] is True
    assert not any(c["granted"] for c in by_id[made[0][0]]["consents"])
    assert by_id[made[2][0]]["tierHistory"][0]["reason"] == "OVERRIDE"
    assert by_id[made[2][0]]["tier"] == {"code": "GOLD"}
    assert by_id[made[3][0]]["tierHistory"] == []
