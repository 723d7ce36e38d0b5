"""A member's orders are listed newest paid first, the id breaking ties, in Member.orders
(every page) and customer360 alike: one ordering (domain.orders.queries.NEWEST_FIRST)."""

from __future__ import annotations

from datetime import timedelta

from strawberry.relay import to_base64

from domain import clock
from tests.conftest import sign_in_staff
from tests.factories import ORDER, order_input, pos_and_member

ORDERS = """query($id: ID!, $after: String) { member(id: $id) {
  orders(first: 2, after: $after) { edges { node { externalId } }
    pageInfo { hasNextPage endCursor } } } }"""
C360 = """query($id: ID!) { customer360(memberId: $id) { recentOrders { externalId } } }"""


async def test_orders_are_newest_paid_first_everywhere(gql, client, seed):
    """Posted out of paidAt order (late till uploads), with two paid in the same second:
    Member.orders pages and customer360 list them by paidAt, then the later posted."""
    pos, card, pk = await pos_and_member(gql, client, seed)
    now = clock.now().replace(microsecond=0)
    paid = [now - timedelta(days=3), now - timedelta(days=1), now - timedelta(days=2), now]
    paid.insert(2, paid[1])  # the third order posted is paid the same second as the second
    posted = []
    for when in paid:
        o = order_input(card, paidAt=when.isoformat())
        assert (await pos(ORDER, {"in": o}))["data"]["orderCreate"]["replayed"] is False
        posted.append(o["externalId"])
    expected = [posted[4], posted[2], posted[1], posted[3], posted[0]]

    staff = await sign_in_staff(gql, "admin@test.cn")
    gid = to_base64("Member", pk)
    seen, after = [], None
    while True:
        page = (await staff(ORDERS, {"id": gid, "after": after}))["data"]["member"]["orders"]
        seen += [e["node"]["externalId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected
    c360 = (await staff(C360, {"id": gid}))["data"]["customer360"]["recentOrders"]
    assert [o["externalId"] for o in c360] == expected


async def test_a_cursor_of_another_members_order_is_invalid_input(gql, client, seed):
    """The keyset reads the cursor order's paidAt within this member's orders only."""
    pos, card, pk = await pos_and_member(gql, client, seed)
    for _ in range(3):
        await pos(ORDER, {"in": order_input(card)})
    _, other_card, other = await pos_and_member(gql, client, seed)
    await pos(ORDER, {"in": order_input(other_card)})
    staff = await sign_in_staff(gql, "admin@test.cn")
    first = await staff(ORDERS, {"id": to_base64("Member", pk), "after": None})
    cursor = first["data"]["member"]["orders"]["pageInfo"]["endCursor"]
    r = await staff(ORDERS, {"id": to_base64("Member", other), "after": cursor})
    [error] = r["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT", error
    assert error["message"] == "The cursor is not valid for this list."
