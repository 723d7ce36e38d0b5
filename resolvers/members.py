"""Member resolvers: translate GraphQL input to domain calls and views to types."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay

from domain.errors import DomainError
from domain.members import cards, identities, lookup, merge, services
from domain.members import consents as consent_service
from domain.members.services import MemberView
from domain.orders import queries as orders
from resolvers.common import attempt, connection, guarded
from resolvers.nodes import gid_of, pk_of, visible_nodes
from resolvers.orders_view import to_order
from schema.auth.types import RegistrationChannel
from schema.context import Info
from schema.members import inputs as i
from schema.members import types as t
from schema.relay import decode_cursor, page_size


def to_member(v: MemberView) -> t.Member:
    return t.Member(
        id=v.id,
        display_name=v.display_name,
        phone=v.phone,
        gender=t.Gender(v.gender),
        birthday=v.birthday,
        income_band=t.IncomeBand(v.income_band) if v.income_band else None,
        registration_channel=RegistrationChannel(v.registration_channel),
        status=t.MemberStatus(v.status),
        member_since=v.member_since,
        view=v,
    )


def member_pk(gid: strawberry.ID | relay.GlobalID | None, field: str = "memberId") -> int:
    """The database id in a Member global id (InvalidInput for anything else)."""
    return pk_of(gid, "Member", field)


def member_gid(pk: int) -> strawberry.ID:
    return gid_of("Member", pk)


# --- queries ------------------------------------------------------------------------------


async def me(info: Info) -> t.Member:
    ctx = info.context
    return to_member(await services.me(ctx.rt, ctx.viewer))


async def member(info: Info, id: strawberry.ID) -> t.Member | None:
    ctx = info.context
    (found,) = await services.get_many(ctx.rt, ctx.viewer, [member_pk(id, "id")])
    return to_member(found) if found else None


@t.member_nodes.install
async def member_nodes(info: Info, node_ids: Iterable[str]) -> list[t.Member | None]:
    async def fetch(ids: list[int]) -> dict[int, MemberView]:
        ctx = info.context  # get_many applies member row scope itself
        return {v.id: v for v in await services.get_many(ctx.rt, ctx.viewer, ids) if v}

    return await visible_nodes(info, "Member", node_ids, fetch, to_member)


@t.identity_nodes.install
async def identity_nodes(info: Info, node_ids: Iterable[str]) -> list[t.MemberIdentity | None]:
    return await visible_nodes(
        info, "MemberIdentity", node_ids, identities.by_ids, to_identity, lambda r: r.member_id
    )


@t.merge_nodes.install
async def merge_nodes(info: Info, node_ids: Iterable[str]) -> list[t.MemberMerge | None]:
    return await visible_nodes(
        info, "MemberMerge", node_ids, merge.by_ids, to_merge, lambda r: r.survivor_id
    )


async def members(
    info: Info,
    filter: i.MemberFilterInput | None = None,
    first: int | None = 20,
    after: str | None = None,
) -> t.MemberConnection:
    ctx = info.context
    f = filter or i.MemberFilterInput()
    rows, more = await services.page(
        ctx.rt,
        ctx.viewer,
        services.MemberFilter(
            phone=f.phone,
            card_number=f.card_number,
            tier_code=f.tier_code,
            store_code=f.store_code,
            tag=f.tag,
            registered_from=f.registered_from,
            registered_before=f.registered_before,
            status=f.status.value if f.status else None,
        ),
        after_id=decode_cursor("member", after),
        limit=page_size(first, ctx.rt.settings.gql_page_max),
    )
    return connection(t.MemberConnection, "member", rows, more, after, to_member)


def ref_of(r: i.MemberRefInput) -> lookup.MemberRef:
    return lookup.MemberRef(
        scan_code=r.scan_code,
        card_number=r.card_number,
        phone=r.phone,
        identity_channel=r.identity_channel.value if r.identity_channel else None,
        identity_external_id=r.identity_external_id,
        member_id=member_pk(r.member_id) if r.member_id else None,
        query=r.query,
    )


async def member_lookup(info: Info, ref: i.MemberRefInput):
    ctx = info.context
    return await guarded(lambda: lookup.lookup(ctx.rt, ctx.viewer, ref_of(ref)), to_member)


async def member_by_scan_code(info: Info, code: str):
    ctx = info.context
    ref = lookup.MemberRef(scan_code=code)
    return await attempt(lookup.lookup(ctx.rt, ctx.viewer, ref), to_member)


async def customer_360(info: Info, member_id: strawberry.ID) -> t.Customer360 | None:
    ctx = info.context
    (found,) = await services.get_many(ctx.rt, ctx.viewer, [member_pk(member_id)])
    if found is None:
        return None
    recent = await orders.recent(found, limit=10)
    merges = await merge.merges_of(found.id)
    return t.Customer360(
        member=to_member(found),
        recent_orders=[to_order(o) for o in recent],
        merges=[to_merge(m) for m in merges],
    )


# --- nested fields of Member (batched per request) -----------------------------------------


@t.card_of.install
async def card_of(info: Info, v: MemberView) -> t.Card | None:
    found = await info.context.loaders.card.load(v)
    return to_card(found) if found else None


def to_card(c: cards.CardView) -> t.Card:
    return t.Card(number=c.number, status=c.status, issued_at=c.issued_at, member_id=c.member_id)


@t.card_scan_code.install
def card_scan_code(info: Info, card: t.Card) -> t.ScanCode | None:
    if card.status != "ACTIVE":
        return None
    ctx = info.context
    view = cards.CardView(card.member_id, card.number, card.status, card.issued_at)
    try:
        code = cards.scan_code(ctx.rt, ctx.viewer, view)
    except DomainError:
        return None  # not the card holder: nothing to show
    return t.ScanCode(code=code.code, expires_at=code.expires_at)


@t.identities_of.install
async def identities_of(info: Info, v: MemberView) -> list[t.MemberIdentity]:
    rows = await info.context.loaders.identities.load(v)
    return [to_identity(r) for r in rows]


def to_identity(r: identities.IdentityView) -> t.MemberIdentity:
    return t.MemberIdentity(
        id=r.id,
        channel=t.IdentityChannel(r.channel),
        external_id=r.external_id,
        linked_at=r.linked_at,
    )


@t.tags_of.install
async def tags_of(info: Info, v: MemberView) -> list[str]:
    return await info.context.loaders.tags.load(v)


@t.consents_of.install
async def consents_of(info: Info, v: MemberView) -> list[t.Consent]:
    return [to_consent(c) for c in await info.context.loaders.consents.load(v)]


def to_consent(c: consent_service.ConsentView) -> t.Consent:
    return t.Consent(
        purpose=t.ConsentPurpose(c.purpose),
        granted=c.granted,
        policy_version=c.policy_version,
        recorded_at=c.recorded_at,
    )


@t.region_of.install
async def region_of(info: Info, v: MemberView) -> t.Region | None:
    return await _region(info, v.region_id)


async def _region(info: Info, region_id: int | None) -> t.Region | None:
    row = await info.context.loaders.regions.load(region_id) if region_id else None
    return t.Region(code=row.code, name=row.name) if row else None


@t.store_of.install
async def store_of(info: Info, v: MemberView) -> t.Store | None:
    if v.home_store_id is None:
        return None
    row = await info.context.loaders.stores.load(v.home_store_id)
    if row is None:
        return None
    region = await _region(info, row.region_id)
    return t.Store(code=row.code, name=row.name, channel=row.channel, region=region)  # type: ignore[arg-type]


def to_merge(m: merge.MergeView) -> t.MemberMerge:
    return t.MemberMerge(
        id=m.id,
        survivor_id=member_gid(m.survivor_id),
        absorbed_id=member_gid(m.absorbed_id),
        reason=m.reason,
        moved=[t.MovedCount(area=k, count=n) for k, n in sorted(m.moved_counts.items())],
        points_moved=t.MovedPoints(
            balance=m.points.balance,
            pending=m.points.pending,
            debt=m.points.debt,
            total=m.points.balance + m.points.pending,
            lots=len(m.points.lot_ids),
        ),
        coupons_moved=t.MovedCoupons(
            count=len(m.coupons.coupon_ids),
            ids=[gid_of("Coupon", c) for c in m.coupons.coupon_ids],
            redemptions=len(m.coupons.redemption_ids),
        ),
        created_at=m.created_at,
        undone_at=m.undone_at,
    )
