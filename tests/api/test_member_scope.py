"""Row-level scope: staff of one region can neither read nor act on a member of another,
by any field; HQ can. Region EAST has stores SH01 and SH02, region SOUTH has GZ01."""

from __future__ import annotations

import pytest

from domain.audit.tables import AuditEntry
from domain.members.tables import Card, Member
from tests.conftest import GQL, sign_in_staff
from tests.factories import REGISTER, new_phone, pk_of

READS = {
    "member": "query($id: ID!) { member(id: $id) { id } }",
    "node": "query($id: ID!) { node(id: $id) { id } }",
    "customer360": "query($id: ID!) { customer360(memberId: $id) { member { id } } }",
}
ACTIONS = {
    "memberUpdateByStaff": """mutation($id: ID!) { memberUpdateByStaff(memberId: $id,
        input: {displayName: "改名"}) { __typename ... on UserError { code } } }""",
    "cardReportLost": """mutation($id: ID!) { cardReportLost(memberId: $id) {
        __typename ... on UserError { code } } }""",
    "memberRevealPersonalData": """mutation($id: ID!) { memberRevealPersonalData(memberId: $id,
        reason: "check it") { __typename ... on UserError { code } } }""",
}
LIST = """query($f: MemberFilterInput, $after: String) { members(filter: $f, first: 100,
  after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }"""
LOOKUP = """query($p: String!) { memberLookup(ref: {phone: $p}) {
  __typename ... on Member { id } ... on UserError { code } } }"""


@pytest.fixture
async def two_regions(gql, seed) -> dict:
    admin = await sign_in_staff(gql, "admin@test.cn")
    out = {}
    for name, store in (("east", "SH01"), ("east2", "SH02"), ("south", "GZ01")):
        phone = new_phone()
        r = await admin(REGISTER, {"in": {"phone": phone, "homeStoreCode": store}})
        out[name] = (r["data"]["memberRegister"]["member"]["id"], phone)
    return out


async def _every_id(who: GQL) -> set[str]:
    """Every member id the caller's unfiltered list shows, page by page."""
    ids: set[str] = set()
    after = None
    while True:
        page = (await who(LIST, {"after": after}))["data"]["members"]
        ids |= {e["node"]["id"] for e in page["edges"]}
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


async def _sees(who: GQL, gid: str, phone: str) -> dict[str, bool]:
    seen = {}
    for field, query in READS.items():
        r = await who(query, {"id": gid})
        assert "errors" not in r, r
        seen[field] = r["data"][field] is not None
    listed = await who(LIST, {"f": {"phone": phone}})
    seen["members"] = bool(listed["data"]["members"]["edges"])
    seen["members (unfiltered)"] = gid in await _every_id(who)
    looked = (await who(LOOKUP, {"p": phone}))["data"]["memberLookup"]
    seen["memberLookup"] = looked["__typename"] == "Member"
    return seen


async def test_store_staff_of_one_region_cannot_reach_a_member_of_another(gql, two_regions):
    sh01 = await sign_in_staff(gql, "sh01@test.cn")
    south_id, south_phone = two_regions["south"]
    east_id, east_phone = two_regions["east2"]
    assert not any((await _sees(sh01, south_id, south_phone)).values())
    # default scope for store staff: their store's whole region (SH02 is in EAST too)
    assert all((await _sees(sh01, east_id, east_phone)).values())

    before = (await Member.get(id=pk_of(south_id)), await Card.get(member_id=pk_of(south_id)))
    audits = await AuditEntry.all().count()
    for field, mutation in ACTIONS.items():
        r = await sh01(mutation, {"id": south_id})
        if field == "memberRevealPersonalData":  # store staff may not reveal at all
            assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        else:
            assert r["data"][field] == {"__typename": "NotFoundError", "code": "NOT_FOUND"}
    after = (await Member.get(id=pk_of(south_id)), await Card.get(member_id=pk_of(south_id)))
    assert (after[0].display_name, after[1].status) == (before[0].display_name, before[1].status)
    assert await AuditEntry.all().count() == audits

    # a region's service agent: the other way round, and its own actions work
    south_agent = await sign_in_staff(gql, "south.agent@test.cn")
    assert not any((await _sees(south_agent, east_id, east_phone)).values())
    assert all((await _sees(south_agent, south_id, south_phone)).values())
    r = await south_agent(ACTIONS["memberRevealPersonalData"], {"id": east_id})
    assert r["data"]["memberRevealPersonalData"]["code"] == "NOT_FOUND"


async def test_hq_sees_every_region(gql, two_regions):
    for email in ("admin@test.cn", "agent@test.cn"):
        hq = await sign_in_staff(gql, email)
        for gid, phone in two_regions.values():
            assert all((await _sees(hq, gid, phone)).values())


async def test_store_scope_setting_narrows_store_staff_to_their_store(
    gql, two_regions, app, monkeypatch
):
    rt = app.state.rt
    monkeypatch.setattr(
        rt, "settings", rt.settings.model_copy(update={"store_staff_scope": "store"})
    )
    sh01 = await sign_in_staff(gql, "sh01@test.cn")
    assert all((await _sees(sh01, *two_regions["east"])).values())
    assert not any((await _sees(sh01, *two_regions["east2"])).values())


async def test_analysts_do_not_read_individual_members(gql, two_regions):
    analyst = await sign_in_staff(gql, "analyst@test.cn")
    r = await analyst(READS["member"], {"id": two_regions["east"][0]})
    assert r["data"] == {"member": None}
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_member_sees_only_themself(gql, two_regions):
    from tests.conftest import sign_in_member

    me = gql.as_((await sign_in_member(gql))["accessToken"])
    r = await me(READS["node"], {"id": two_regions["east"][0]})
    assert r["data"]["node"] is None
