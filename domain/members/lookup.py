"""Finding a member from what a partner has: a scan code, a card number, a phone, a
channel identity or a member id. Several may be given, and a till often does not
know what it scanned (``query``), so the kinds are tried in MEMBER_LOOKUP_ORDER and
the first that names a member wins. If none does, the error of the first kind that
was tried is raised (an expired scan code says so, rather than "not found")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from domain.auth.model import Principal
from domain.errors import DomainError, InvalidInput, NotFound
from domain.members import cards, identities, store
from domain.members.model import MemberRef, looks_like_card, looks_like_scan_code, normalize_phone
from domain.members.scope import get_visible
from domain.members.services import MemberView, view
from domain.runtime import Runtime

if TYPE_CHECKING:
    from domain.members.tables import Member


def _attempts(rt: Runtime, ref: MemberRef) -> list[Callable[[], Awaitable[Member]]]:
    q = (ref.query or "").strip()
    by_kind: dict[str, list[Callable[[], Awaitable[Member]]]] = {k: [] for k in _ORDER_KINDS}
    if ref.scan_code or looks_like_scan_code(q):
        code = ref.scan_code or q
        by_kind["scan_code"].append(lambda: cards.member_by_scan_code(rt, code))
    if ref.card_number or looks_like_card(q):
        number = ref.card_number or q
        by_kind["card_number"].append(lambda: cards.member_by_card_number(number))
    if ref.phone or (q and not q.isdigit()) or (q.isdigit() and len(q) == 11):
        raw = ref.phone or q
        by_kind["phone"].append(lambda: _by_phone(rt, raw))
    if ref.identity_channel and ref.identity_external_id:
        ch, ext = ref.identity_channel, ref.identity_external_id
        by_kind["identity"].append(lambda: identities.member_by_identity(ch, ext))
    if ref.member_id is not None:
        mid = ref.member_id
        by_kind["member_id"].append(lambda: _by_id(mid))
    return [a for kind in rt.settings.member_lookup_order for a in by_kind[kind]]


_ORDER_KINDS = ("scan_code", "card_number", "phone", "identity", "member_id")


async def _by_phone(rt: Runtime, raw: str) -> Member:
    found = await store.by_phone(rt, normalize_phone(raw))
    if found is None:
        raise NotFound("No member with this phone number.", field="phone")
    return found


async def _by_id(member_id: int) -> Member:
    found = await store.get_or_none(member_id)
    if found is None:
        raise NotFound("No such member.", field="memberId")
    return found


async def resolve(rt: Runtime, viewer: Principal | None, ref: MemberRef) -> Member:
    """The member ``ref`` names (after merges), within ``viewer``'s scope; ``viewer``
    None is the system resolving a reference it was handed (an order's member)."""
    attempts = _attempts(rt, ref)
    if not attempts:
        raise InvalidInput(
            "Give a scan code, card number, phone, channel identity or member id.", field="ref"
        )
    first_error: DomainError | None = None
    for attempt in attempts:
        try:
            member = await store.current(await attempt())
            if viewer is None:
                return member
            return await get_visible(rt.settings, viewer, member.id)
        except DomainError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


async def lookup(rt: Runtime, viewer: Principal, ref: MemberRef) -> MemberView:
    return view(rt, viewer, await resolve(rt, viewer, ref))
