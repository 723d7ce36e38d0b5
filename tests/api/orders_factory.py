"""Factories for order tests: a partner and a member to post for, an order input, and
the member's figures (account, ledger sum, a snapshot that negative tests compare)."""

from __future__ import annotations

import itertools

from domain import clock
from domain.orders.tables import Order, Refund
from domain.points.tables import LedgerEntry, PointsAccount
from tests.api.test_member_scope import _pk
from tests.api.test_members import REGISTER, new_phone
from tests.conftest import GQL, partner_token

_serial = itertools.count(1)

ORDER = """mutation($in: OrderCreateInput!) { orderCreate(input: $in) {
  __typename
  ... on OrderCreateSuccess { replayed order { externalId pointsEarned pointsRedeemed status } }
  ... on UserError { code message } ... on InsufficientPointsError { needed available } } }"""


def order_id() -> str:
    return f"SH01-20261123-{next(_serial):05d}"


def order_input(card: str, fen: int = 10_000, **extra) -> dict:
    return {
        "externalId": order_id(),
        "channel": "POS",
        "storeCode": "SH01",
        "paidAt": clock.now().isoformat(),
        "lines": [{"sku": "690000000001", "quantity": 1, "unitPriceFen": fen}],
        "totalPaidFen": fen,
        "member": {"cardNumber": card},
        **extra,
    }


async def pos_and_member(gql: GQL, client, seed) -> tuple[GQL, str, int]:
    """A partner client and a new member of SH01: (partner, card number, member pk)."""
    pos = gql.as_(await partner_token(client, seed["partner"]))
    r = await pos(REGISTER, {"in": {"phone": new_phone(), "homeStoreCode": "SH01"}})
    m = r["data"]["memberRegister"]["member"]
    return pos, m["card"]["number"], _pk(m["id"])


async def account(pk: int) -> tuple[int, int, int]:
    a = await PointsAccount.get_or_none(member_id=pk)
    return (a.balance, a.pending, a.debt) if a else (0, 0, 0)


async def ledger_sum(pk: int) -> int:
    return sum(await LedgerEntry.filter(member_id=pk).values_list("points", flat=True))


async def snapshot(pk: int) -> tuple:
    return (
        await account(pk),
        await ledger_sum(pk),
        await LedgerEntry.filter(member_id=pk).count(),
        await Order.filter(member_id=pk).count(),
        await Refund.all().count(),
    )


def allow_backdating(app, monkeypatch, days: int = 3660) -> None:
    """Accept orders paid up to ``days`` ago (ORDER_BACKDATE_MAX_DAYS) for this test."""
    rt = app.state.rt
    update = {"order_backdate_max_days": days}
    monkeypatch.setattr(rt, "settings", rt.settings.model_copy(update=update))
