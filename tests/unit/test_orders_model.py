"""Pure order rules (DOMAIN.md, "Points ledger": idempotent postings, proportional
refunds): what a valid order or refund request is, when a retry is the same request,
and how much money a refund by lines is worth."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.members.model import MemberRef
from domain.orders.model import (
    LineIn,
    OrderIn,
    RefundIn,
    RefundLineIn,
    check_order,
    check_refund,
    order_digest,
    refund_digest,
    refund_value,
)

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
POINT_FEN = 1  # value of one point used as payment

ORDER = OrderIn(
    external_id="SH01-20261125-0001",
    channel="POS",
    store_code="SH01",
    paid_at=NOW - timedelta(minutes=3),
    lines=(LineIn("A1", 2, 5_000, 1_000), LineIn("B2", 1, 3_000)),
    total_paid_fen=12_000,  # lines after discounts: 9_000 + 3_000
    member=MemberRef(card_number="8000000000000018"),
)


def refused_field(o: OrderIn) -> str:
    with pytest.raises(InvalidInput) as err:
        check_order(o, POINT_FEN)
    return err.value.field


def test_a_well_formed_order_passes():
    check_order(ORDER, POINT_FEN)
    # paying part of it with points: money + points value up to the lines' total
    check_order(replace(ORDER, total_paid_fen=11_000, points_to_redeem=1_000), POINT_FEN)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"external_id": ""}, "externalId"),
        ({"external_id": "SH01 0001"}, "externalId"),
        ({"external_id": "x" * 65}, "externalId"),
        ({"channel": "FAX"}, "channel"),
        ({"lines": ()}, "lines"),
        ({"lines": (LineIn(" ", 1, 100),)}, "lines"),
        ({"lines": (LineIn("A1", 0, 100),)}, "lines"),
        ({"lines": (LineIn("A1", 1, -1),)}, "lines"),
        ({"lines": (LineIn("A1", 1, 100, 101),)}, "lines"),  # discount above the line
        ({"total_paid_fen": -1}, "totalPaidFen"),
        ({"total_paid_fen": 12_001}, "totalPaidFen"),  # more than the goods are worth
        ({"points_to_redeem": 1}, "totalPaidFen"),  # 12_000 paid + 1 point > 12_000
        ({"coupon_codes": tuple(f"C{i}" for i in range(6))}, "couponCodes"),
    ],
)
def test_bad_orders_are_refused_naming_the_field(change, field):
    assert refused_field(replace(ORDER, **change)) == field


# when an order may say it was paid (the paidAt window): tests/unit/test_order_rules.py


def test_a_retry_is_the_same_request_whatever_the_offset_or_scan_code():
    shanghai = timezone(timedelta(hours=8))
    retry = replace(
        ORDER,
        paid_at=ORDER.paid_at.astimezone(shanghai),
        member=MemberRef(card_number="8000000000000018"),
    )
    assert order_digest(retry) == order_digest(ORDER)
    scanned = replace(ORDER, member=MemberRef(scan_code="1" * 36))
    rescanned = replace(ORDER, member=MemberRef(scan_code="2" * 36))  # a fresh code a minute on
    assert order_digest(scanned) == order_digest(rescanned)


@pytest.mark.parametrize(
    "change",
    [
        {"total_paid_fen": 11_999},
        {"lines": (LineIn("A1", 2, 5_000, 1_000),)},
        {"coupon_codes": ("SPEND200-50",)},
        {"points_to_redeem": 10},
        {"store_code": "SH02"},
        {"member": MemberRef(card_number="8000000000000026")},
        {"member": None},
        {"paid_at": ORDER.paid_at + timedelta(seconds=1)},
    ],
)
def test_a_changed_request_under_the_same_id_has_another_digest(change):
    assert order_digest(replace(ORDER, **change)) != order_digest(ORDER)


# --- refunds ---------------------------------------------------------------------------------


def test_a_refund_is_by_lines_or_by_amount_never_both_nor_neither():
    check_refund(RefundIn("SH01-1", "R1", lines=(RefundLineIn("A1", 1),)))
    check_refund(RefundIn("SH01-1", "R1", amount_fen=500))
    for bad in [
        RefundIn("SH01-1", "R1"),
        RefundIn("SH01-1", "R1", lines=(RefundLineIn("A1", 1),), amount_fen=500),
        RefundIn("SH01-1", "R1", lines=(RefundLineIn("A1", 0),)),
        RefundIn("SH01-1", "R1", amount_fen=0),
        RefundIn("SH01-1", "", amount_fen=1),
    ]:
        with pytest.raises(InvalidInput):
            check_refund(bad)


def test_refund_digest_ignores_the_order_of_lines_and_the_reason():
    a = RefundIn("O", "R", lines=(RefundLineIn("A1", 1), RefundLineIn("B2", 2)), reason="坏了")
    b = RefundIn("O", "R", lines=(RefundLineIn("B2", 2), RefundLineIn("A1", 1)))
    assert refund_digest(a) == refund_digest(b)
    assert refund_digest(a) != refund_digest(replace(b, lines=(RefundLineIn("A1", 1),)))


def test_refunding_lines_gives_back_their_share_of_the_money_paid():
    # two lines worth 9_000 and 3_000 net; a coupon: 10_000 paid in money
    assert refund_value([(9_000, 2, 1)], 12_000, 10_000) == 3_750  # half of line A
    assert refund_value([(9_000, 2, 2), (3_000, 1, 1)], 12_000, 10_000) == 10_000
    assert refund_value([(9_000, 2, 1)], 0, 0) == 0


@given(
    st.lists(
        st.tuples(st.integers(0, 100_000), st.integers(1, 20)).flatmap(
            lambda nq: st.tuples(st.just(nq[0]), st.just(nq[1]), st.integers(0, nq[1]))
        ),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, 1_000_000),
)
def test_a_refund_by_lines_never_exceeds_what_was_paid(lines, paid):
    total_net = sum(net for net, _, _ in lines)
    paid = min(paid, total_net)
    value = refund_value(lines, total_net, paid)
    assert 0 <= value <= paid
    everything = [(net, qty, qty) for net, qty, _ in lines]
    assert refund_value(everything, total_net, paid) == (paid if total_net else 0)
