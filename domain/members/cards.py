"""The member card: read, issue, report lost, replace, and the rotating scan code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain import clock
from domain.audit import services as audit
from domain.auth.model import Principal, PrincipalKind
from domain.db import in_transaction
from domain.errors import CardNotActive, InvalidInput, NotFound
from domain.members import store
from domain.members.model import ScanCode, make_scan_code, new_card_number, read_scan_code
from domain.members.scope import get_visible
from domain.members.services import MemberView
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.members.tables import Card, Member


@dataclass(frozen=True)
class CardView:
    member_id: int
    number: str
    status: str
    issued_at: datetime


def _view(card: Card) -> CardView:
    return CardView(
        member_id=card.member_id,
        number=card.number,
        status=card.status,
        issued_at=card.issued_at,
    )


async def cards_of(members: list[MemberView]) -> list[CardView | None]:
    """The card of each visible member (None until issued); plain SQL, as the app's home
    reads it on every open."""
    found = await store.card_rows([m.id for m in members])
    rows = {r["member_id"]: CardView(**r) for r in found}
    return [rows.get(m.id) for m in members]


def _scan_key(rt: Runtime) -> bytes:
    return rt.cipher.blind_index("member-card-scan-code", purpose="key").encode()


def scan_code(rt: Runtime, viewer: Principal, card: CardView) -> ScanCode:
    """A code for the till that stops working after SCAN_CODE_TTL_S (the holder only)."""
    if viewer.kind is not PrincipalKind.MEMBER or viewer.id != card.member_id:
        raise NotFound("Only the card holder can show a scan code.")
    if card.status != "ACTIVE":
        raise CardNotActive(status=card.status)
    expires = clock.now() + timedelta(seconds=rt.settings.scan_code_ttl_s)
    return make_scan_code(_scan_key(rt), card.number, expires)


async def member_by_scan_code(rt: Runtime, code: str) -> Member:
    number = read_scan_code(_scan_key(rt), code, clock.now())
    return await member_by_card_number(number)


async def member_by_card_number(number: str) -> Member:
    """The member of an active card; CardNotActive for lost or replaced numbers."""
    number = (number or "").strip()
    card = await store.card_by_number(number)
    if card is not None:
        if card.status != "ACTIVE":
            raise CardNotActive(status=card.status)
        return card.member
    if await store.number_was_replaced(number):
        raise CardNotActive(status="REPLACED")
    raise NotFound("No card with this number.", field="cardNumber")


async def issue(rt: Runtime, viewer: Principal, member_id: int) -> CardView:
    """The member's card, issuing one if missing (idempotent, race-safe)."""
    member = await get_visible(rt.settings, viewer, member_id)
    card = await store.issue_card(member.id)
    if viewer.kind is not PrincipalKind.MEMBER:
        await audit.record(viewer, "card.issue", "member", member.id)
    return _view(card)


async def report_lost(rt: Runtime, viewer: Principal, member_id: int) -> CardView:
    """Block the card at once; the balance stays with the member, not the card."""
    async with in_transaction():
        card = await _locked_card(rt, viewer, member_id)
        if card.status == "ACTIVE":
            card.status, card.status_changed_at = "LOST", clock.now()
            await store.save_card(card, "status", "status_changed_at")
            await audit.record(viewer, "card.report_lost", "member", member_id)
    return _view(card)


async def replace(rt: Runtime, viewer: Principal, member_id: int) -> CardView:
    """A new number for the same card row: history, balance and tier stay; the old
    number (and every scan code made from it) stops working."""
    async with in_transaction():
        card = await _locked_card(rt, viewer, member_id)
        now = clock.now()
        await store.add_card_history(
            card_id=card.id,
            number=card.number,
            status="REPLACED",
            issued_at=card.issued_at,
            ended_at=now,
        )
        card.number = await _free_number()
        card.status, card.issued_at, card.status_changed_at = "ACTIVE", now, now
        await store.save_card(card, "number", "status", "issued_at", "status_changed_at")
        await audit.record(viewer, "card.replace", "member", member_id)
    return _view(card)


async def _locked_card(rt: Runtime, viewer: Principal, member_id: int) -> Card:
    member = await get_visible(rt.settings, viewer, member_id)
    card = await store.lock_card(member.id)
    if card is None:
        raise InvalidInput("This member has no card yet; issue one first.", field="memberId")
    return card


async def _free_number() -> str:
    while True:
        number = new_card_number()
        if not await store.number_taken(number):
            return number
