"""A committed write is always reported: a nested field of a mutation's payload that
fails is null with its own error, never the whole payload (``data: null`` after the
change was saved); a bad page size in the payload's selection is refused before the
write, so nothing is written."""

from __future__ import annotations

from strawberry.relay import from_base64, to_base64

from domain.members.tables import Member
from tests.api.test_members import new_phone
from tests.api.test_orders_points import account
from tests.conftest import GQL, sign_in_by_sms, sign_in_staff

UPDATE = """mutation($in: MemberProfileInput!, $first: Int, $after: String) {
  memberUpdate(input: $in) { __typename
    ... on Member { displayName orders(first: $first, after: $after) { edges { cursor } } }
    ... on UserError { code } } }"""


async def _member(gql: GQL) -> tuple[GQL, int]:
    me = gql.as_((await sign_in_by_sms(gql, new_phone()))["accessToken"])
    gid = (await me("{ me { id } }"))["data"]["me"]["id"]
    return me, int(from_base64(gid)[1])


async def _name(pk: int) -> str:
    return (await Member.get(id=pk)).display_name


async def test_a_failing_nested_field_leaves_the_write_reported(gql):
    me, pk = await _member(gql)
    r = await me(UPDATE, {"in": {"displayName": "李雷"}, "first": 5, "after": "not-a-cursor"})
    # the change is saved and reported; only the nested connection is null, with its error
    assert r["data"] == {
        "memberUpdate": {"__typename": "Member", "displayName": "李雷", "orders": None}
    }
    [error] = r["errors"]
    assert error["path"] == ["memberUpdate", "orders"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert await _name(pk) == "李雷"


async def test_a_bad_page_size_in_the_payload_is_refused_before_the_write(gql):
    me, pk = await _member(gql)
    before = await _name(pk)
    for first in (0, 101):
        r = await me(UPDATE, {"in": {"displayName": "韩梅梅"}, "first": first})
        assert r.get("data") is None, r
        [error] = r["errors"]
        where = "memberUpdate.orders.first"
        assert error["extensions"] == {"code": "INVALID_INPUT", "field": where}
    literal = UPDATE.replace("first: $first", "first: 0").replace("$first: Int, ", "")
    r = await me(literal, {"in": {"displayName": "韩梅梅"}})
    assert r.get("data") is None and r["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert await _name(pk) == before  # nothing written


EXPIRING = """mutation($in: MemberProfileInput!, $days: Int!) {
  memberUpdate(input: $in) { __typename
    ... on Member { displayName points { expiring(days: $days) { points } } } } }"""


async def test_a_bad_range_deeper_in_the_payload_is_refused_before_the_write(gql):
    me, pk = await _member(gql)
    before = await _name(pk)
    for days in (-5, 0, 3661):
        r = await me(EXPIRING, {"in": {"displayName": "Days"}, "days": days})
        assert r.get("data") is None, r
        [error] = r["errors"]
        assert error["extensions"] == {
            "code": "INVALID_INPUT",
            "field": "memberUpdate.points.expiring.days",
        }
    assert await _name(pk) == before  # nothing written
    r = await me(EXPIRING, {"in": {"displayName": "Days"}, "days": 30})
    assert r["data"]["memberUpdate"]["points"] == {"expiring": []}
    assert await _name(pk) == "Days"


ADJUST = """mutation($id: ID!, $after: String) {
  pointsAdjust(memberId: $id, points: 25, reason: "补录积分") { __typename
    ... on Points { balance history(first: 5, after: $after) { edges { cursor } } }
    ... on UserError { code } } }"""


async def test_points_adjust_reports_its_write_when_the_history_page_fails(gql):
    _me, pk = await _member(gql)
    agent = await sign_in_staff(gql, "agent@test.cn")
    r = await agent(ADJUST, {"id": to_base64("Member", pk), "after": "not-a-cursor"})
    assert r["data"] == {"pointsAdjust": {"__typename": "Points", "balance": 25, "history": None}}
    assert [e["path"] for e in r["errors"]] == [["pointsAdjust", "history"]]
    assert await account(pk) == (25, 0, 0)
