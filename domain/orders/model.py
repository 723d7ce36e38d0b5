"""Pure order rules: what a valid order or refund request is, and its idempotency digest."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.errors import InvalidInput, PaidAtOutOfRange
from domain.members.model import MemberRef


class Channel(StrEnum):
    POS = "POS"
    ECOMMERCE = "ECOMMERCE"
    MINI_PROGRAM = "MINI_PROGRAM"
    APP = "APP"


class Status(StrEnum):
    PAID = "PAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


CHANNELS = tuple(Channel)
MAX_LINES = 500


@dataclass(frozen=True)
class LineIn:
    sku: str
    quantity: int
    unit_price_fen: int
    discount_fen: int = 0

    @property
    def net_fen(self) -> int:
        return self.quantity * self.unit_price_fen - self.discount_fen


@dataclass(frozen=True)
class OrderIn:
    external_id: str
    channel: str
    store_code: str
    paid_at: datetime
    lines: tuple[LineIn, ...]
    total_paid_fen: int
    member: MemberRef | None = None
    coupon_codes: tuple[str, ...] = ()
    points_to_redeem: int = 0


@dataclass(frozen=True)
class RefundLineIn:
    sku: str
    quantity: int


@dataclass(frozen=True)
class RefundIn:
    order_external_id: str
    refund_external_id: str
    lines: tuple[RefundLineIn, ...] = ()
    amount_fen: int | None = None
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def check_external_id(value: str, name: str) -> str:
    text = (value or "").strip()
    if not text or len(text) > 64 or any(c.isspace() for c in text):
        raise InvalidInput("An id is 1-64 characters without spaces.", field=name)
    return text


@dataclass(frozen=True)
class PaidAtWindow:
    """How far back and ahead of now a partner may date an order (settings
    ORDER_BACKDATE_MAX_DAYS, ORDER_CLOCK_SKEW_S)."""

    max_age: timedelta = timedelta(days=30)
    clock_skew: timedelta = timedelta(seconds=300)


def check_paid_at(paid_at: datetime, now: datetime, window: PaidAtWindow) -> None:
    """The one rule for when an order may say it was paid, for ``orderCreate`` and for an
    offline till's batch upload alike: from ``now - max_age`` to ``now + clock_skew``
    (both inclusive), else PaidAtOutOfRange with the window. A time without an offset is
    InvalidInput: a till's local time would be read eight hours off."""
    if paid_at.tzinfo is None:
        raise InvalidInput("paidAt needs a time zone offset.", field="paidAt")
    earliest, latest = now - window.max_age, now + window.clock_skew
    if paid_at < earliest:
        raise PaidAtOutOfRange(
            f"paidAt is more than {window.max_age.days} days ago; orders this old are not "
            "accepted.",
            earliest=earliest,
            latest=latest,
        )
    if paid_at > latest:
        raise PaidAtOutOfRange(
            "paidAt is in the future (beyond the allowed clock skew).",
            earliest=earliest,
            latest=latest,
        )


@dataclass(frozen=True)
class EarnDates:
    """When an order's points become spendable and when their lot expires; ``expired``:
    the lot is past its expiry already when it is written (a backdated order), so it is
    recorded as EARN + EXPIRE - visible in the ledger, never spendable, not in the balance."""

    available_at: datetime
    expires_at: datetime
    expired: bool


def earn_dates(
    paid_at: datetime, now: datetime, pending: timedelta, expires_at: datetime
) -> EarnDates:
    """The dates of the lot an order paid at ``paid_at`` earns, written at ``now``:
    pending for the return window from ``paid_at``; ``expires_at`` is the lot's expiry by
    the points rule (``domain.points.model.lot_expiry``)."""
    return EarnDates(paid_at + pending, expires_at, expired=expires_at <= now)


def check_order(o: OrderIn, point_value_fen: int) -> None:
    """What any order must be, whenever it is posted (a retry too); ``check_paid_at``
    is the other half, for new orders only (a retry is answered however late)."""
    check_external_id(o.external_id, "externalId")
    if o.channel not in CHANNELS:
        raise InvalidInput(f"channel is one of {', '.join(CHANNELS)}.", field="channel")
    if not o.lines or len(o.lines) > MAX_LINES:
        raise InvalidInput(f"An order has 1-{MAX_LINES} lines.", field="lines")
    for i, ln in enumerate(o.lines):
        if not ln.sku.strip() or len(ln.sku) > 32:
            raise InvalidInput(f"Line {i + 1}: a SKU is 1-32 characters.", field="lines")
        if ln.quantity < 1 or ln.unit_price_fen < 0 or ln.discount_fen < 0:
            raise InvalidInput(
                f"Line {i + 1}: quantity >= 1, price and discount >= 0.", field="lines"
            )
        if ln.discount_fen > ln.quantity * ln.unit_price_fen:
            raise InvalidInput(f"Line {i + 1}: discount above the line total.", field="lines")
    if o.total_paid_fen < 0 or o.points_to_redeem < 0:
        raise InvalidInput("Amounts cannot be negative.", field="totalPaidFen")
    net = sum(ln.net_fen for ln in o.lines)
    if o.total_paid_fen + o.points_to_redeem * point_value_fen > net:
        raise InvalidInput(
            "totalPaidFen plus the value of the points exceeds the lines after discounts.",
            field="totalPaidFen",
        )
    if o.paid_at.tzinfo is None:
        raise InvalidInput("paidAt needs a time zone offset.", field="paidAt")
    if len(o.coupon_codes) > 5:
        raise InvalidInput("At most 5 coupons per order.", field="couponCodes")


def _stable_ref(ref: MemberRef | None) -> dict[str, Any] | None:
    """The member reference as it identifies the request: a scan code changes every
    minute, so a retry with a fresh code is still the same request."""
    if ref is None:
        return None
    out = {k: v for k, v in asdict(ref).items() if v is not None and k != "scan_code"}
    if ref.scan_code:
        out["scan_code"] = True
    return out


def digest(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def order_digest(o: OrderIn) -> str:
    return digest(
        {
            "externalId": o.external_id,
            "channel": o.channel,
            "store": o.store_code,
            "paidAt": o.paid_at.astimezone(UTC).isoformat(),
            "lines": [asdict(ln) for ln in o.lines],
            "total": o.total_paid_fen,
            "member": _stable_ref(o.member),
            "coupons": list(o.coupon_codes),
            "points": o.points_to_redeem,
        }
    )


def refund_digest(r: RefundIn) -> str:
    return digest(
        {
            "order": r.order_external_id,
            "refund": r.refund_external_id,
            "lines": sorted((ln.sku, ln.quantity) for ln in r.lines),
            "amount": r.amount_fen,
        }
    )


def check_refund(r: RefundIn) -> None:
    check_external_id(r.order_external_id, "orderExternalId")
    check_external_id(r.refund_external_id, "refundExternalId")
    if bool(r.lines) == (r.amount_fen is not None):
        raise InvalidInput("Refund either by lines or by amountFen, one of the two.", field="lines")
    if r.amount_fen is not None and r.amount_fen <= 0:
        raise InvalidInput("amountFen must be positive.", field="amountFen")
    for ln in r.lines:
        if ln.quantity < 1:
            raise InvalidInput("Refund quantities are >= 1.", field="lines")


def refund_value(lines: list[tuple[int, int, int]], total_net: int, total_paid: int) -> int:
    """Money to refund for (line net, line quantity, quantity refunded) triples: each
    line's share, scaled to what was paid in money (coupons and points are not cash)."""
    share = sum(net * rq // qty for net, qty, rq in lines)
    return share * total_paid // total_net if total_net else 0
