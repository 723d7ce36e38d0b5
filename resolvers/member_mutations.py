"""Member mutations: register, profile, reveal, card, identities, consent, merge."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.auth.model import PrincipalKind
from domain.errors import InvalidInput
from domain.members import cards, identities, merge, profile, services
from domain.members import consents as consent_service
from resolvers.common import attempt, guarded
from resolvers.members import (
    member_gid,
    member_pk,
    to_card,
    to_consent,
    to_identity,
    to_member,
    to_merge,
)
from resolvers.nodes import pk_of
from schema.context import Info
from schema.members import inputs as i
from schema.members import types as t

# --- mutations ------------------------------------------------------------------------------


def _unset_free(obj: Any, names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(obj, name)
        if value is strawberry.UNSET:
            continue
        out[name] = value.value if hasattr(value, "value") else value
    return out


async def member_register(info: Info, input: i.MemberRegisterInput):
    ctx = info.context
    reg = services.Registration(
        phone=input.phone,
        channel=input.channel.value,
        display_name=input.display_name,
        gender=input.gender.value,
        birthday=input.birthday,
        income_band=input.income_band.value if input.income_band else None,
        region_code=input.region_code,
        home_store_code=input.home_store_code,
    )
    return await attempt(
        services.register(ctx.rt, ctx.viewer, reg),
        lambda r: t.MemberRegisterSuccess(member=to_member(r.member), created=r.created),
    )


async def member_update(info: Info, input: i.MemberProfileInput):
    ctx = info.context
    changes = _unset_free(input, sorted(profile.SELF_FIELDS))
    return await attempt(profile.update(ctx.rt, ctx.viewer, ctx.viewer.id or 0, changes), to_member)


async def member_update_by_staff(
    info: Info, member_id: strawberry.ID, input: i.StaffMemberUpdateInput
):
    ctx = info.context
    changes = _unset_free(input, sorted(profile.STAFF_FIELDS))
    return await guarded(
        lambda: profile.update(ctx.rt, ctx.viewer, member_pk(member_id), changes), to_member
    )


async def member_reveal(
    info: Info, member_id: strawberry.ID, reason: str, fields: list[t.PersonalField] | None = None
):
    ctx = info.context
    wanted = [f.value for f in fields or []]
    return await guarded(
        lambda: profile.reveal(ctx.rt, ctx.viewer, member_pk(member_id), wanted, reason),
        lambda r: t.RevealedPersonalData(
            member_id=member_gid(r.member_id),
            phone=r.phone,
            birthday=r.birthday,
            income_band=t.IncomeBand(r.income_band) if r.income_band else None,
        ),
    )


def _self_or(info: Info, gid: strawberry.ID | None) -> int:
    """A member acts on themself (no id); staff and partners must name the member."""
    viewer = info.context.viewer
    if gid is None:
        if viewer.kind is not PrincipalKind.MEMBER:
            raise InvalidInput("Say which member.", field="memberId")
        return viewer.id or 0
    return member_pk(gid)


def _card_call(fn):
    async def resolve(info: Info, member_id: strawberry.ID | None = None):
        ctx = info.context
        viewer = ctx.viewer
        return await guarded(lambda: fn(ctx.rt, viewer, _self_or(info, member_id)), to_card)

    return resolve


card_issue = _card_call(cards.issue)
card_report_lost = _card_call(cards.report_lost)
card_replace = _card_call(cards.replace)


async def identity_link(
    info: Info,
    channel: t.IdentityChannel,
    external_id: str,
    member_id: strawberry.ID | None = None,
):
    ctx = info.context
    return await guarded(
        lambda: identities.link(
            ctx.rt, ctx.viewer, _self_or(info, member_id), channel.value, external_id
        ),
        to_identity,
    )


async def identity_unlink(
    info: Info, identity_id: strawberry.ID, member_id: strawberry.ID | None = None
):
    ctx = info.context

    def call():
        iid = pk_of(identity_id, "MemberIdentity", "identityId")
        return identities.unlink(ctx.rt, ctx.viewer, _self_or(info, member_id), iid)

    return await guarded(call, lambda ok: t.IdentityUnlinkSuccess(unlinked=ok))


async def consent_update(info: Info, consents: list[i.ConsentInput]):
    ctx = info.context
    changes = {c.purpose.value: c.granted for c in consents}
    return await attempt(
        consent_service.update(ctx.rt, ctx.viewer, ctx.viewer.id or 0, changes),
        lambda rows: t.ConsentUpdateSuccess(consents=[to_consent(c) for c in rows]),
    )


async def member_merge(
    info: Info, survivor_id: strawberry.ID, absorbed_id: strawberry.ID, reason: str
):
    ctx = info.context
    return await guarded(
        lambda: merge.merge(
            ctx.rt.settings,
            ctx.viewer,
            member_pk(survivor_id, "survivorId"),
            member_pk(absorbed_id, "absorbedId"),
            reason,
        ),
        to_merge,
    )


async def member_unmerge(info: Info, merge_id: strawberry.ID, reason: str):
    ctx = info.context

    def call():
        mid = pk_of(merge_id, "MemberMerge", "mergeId")
        return merge.unmerge(ctx.rt.settings, ctx.viewer, mid, reason)

    return await guarded(call, to_merge)
