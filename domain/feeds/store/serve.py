"""The feed's reads: a member's read-model row and signals, popularity near them and the
rules of a product. One statement each, on indexed keys; no writes (the nightly rebuild
and the order-time refresh write in ``store.build``, the member's signals in
``store.signals``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.feeds.model import PopularityScope
from domain.feeds.tables import (
    FeedDismissal,
    FeedMember,
    FeedMute,
    FeedPopularity,
    FeedPreference,
    FeedRule,
)


@dataclass(frozen=True)
class MemberRow:
    version: int  # 0: the member has no row yet
    doc: str | None


@dataclass(frozen=True)
class Signals:
    dismissed: frozenset[str]  # item keys ("product:12") whose dismissal is still in force
    muted: tuple[str, ...]  # category path prefixes
    personalised: bool


@dataclass(frozen=True)
class RuleRow:
    consequent_id: int
    baskets: int
    support: float
    confidence: float
    lift: float


async def version_of(member_id: int) -> int:
    """The version of the member's row (0 when there is none): what a cached feed keys on."""
    rows = await FeedMember.filter(member_id=member_id).values("version")
    return int(rows[0]["version"]) if rows else 0


async def member_row(member_id: int) -> MemberRow:
    rows = await FeedMember.filter(member_id=member_id).values("version", "doc")
    if not rows:
        return MemberRow(0, None)
    return MemberRow(int(rows[0]["version"]), rows[0]["doc"])


async def signals_of(member_id: int, now: datetime) -> Signals:
    dismissed = await FeedDismissal.filter(member_id=member_id, until__gt=now).values_list(
        "item_key", flat=True
    )
    muted = await FeedMute.filter(member_id=member_id).values_list("category", flat=True)
    prefs = await FeedPreference.filter(member_id=member_id).values_list("personalised", flat=True)
    return Signals(
        dismissed=frozenset(str(k) for k in dismissed),
        muted=tuple(sorted(str(c) for c in muted)),
        personalised=bool(prefs[0]) if prefs else True,
    )


async def popular(
    scopes: list[tuple[PopularityScope, int]], limit: int
) -> dict[tuple[PopularityScope, int], list[tuple[int, float]]]:
    """The ``limit`` best sellers of each of ``scopes`` ((STORE, id), (REGION, id),
    (CHAIN, 0)), best first, in one statement."""
    if not scopes:
        return {}
    wanted = set(scopes)
    rows = (
        await FeedPopularity.filter(
            scope__in=sorted({s.value for s, _ in scopes}),
            scope_id__in=sorted({i for _, i in scopes}),
            rank__lte=limit,
        )
        .order_by("rank")
        .values_list("scope", "scope_id", "product_id", "score")
    )
    out: dict[tuple[PopularityScope, int], list[tuple[int, float]]] = {k: [] for k in scopes}
    for scope, scope_id, product_id, score in rows:
        key = (PopularityScope(scope), int(scope_id))
        if key in wanted:  # the IN lists also match e.g. a store with a region's id
            out[key].append((int(product_id), float(score)))
    return out


async def rules_of(product_ids: list[int]) -> dict[int, list[RuleRow]]:
    """Rules from each of ``product_ids`` to other products, best lift first (then more
    baskets), in one statement (the rebuild keeps only rules above the support and
    confidence floors, so a product has few)."""
    rows = (
        await FeedRule.filter(antecedent_id__in=product_ids)
        .order_by("antecedent_id", "-lift", "-baskets", "consequent_id")
        .values_list("antecedent_id", "consequent_id", "baskets", "support", "confidence", "lift")
    )
    out: dict[int, list[RuleRow]] = {p: [] for p in product_ids}
    for a, c, b, s, cf, lf in rows:
        out[int(a)].append(RuleRow(int(c), int(b), float(s), float(cf), float(lf)))
    return out
