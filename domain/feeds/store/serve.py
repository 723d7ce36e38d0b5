"""The feed's reads: a member's read-model row and signals, popularity near them and the
rules of a product. One statement each, on indexed keys; no writes (the nightly rebuild
and the order-time refresh write in ``store.build``, the member's signals in
``store.signals``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from domain.feeds.model import PopularityScope
from domain.feeds.store import dialect, execute
from domain.feeds.tables import (
    FeedDismissal,
    FeedMember,
    FeedMute,
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


# The member's row and signals in one round trip (the feed reads them on every ranking).
STATE = """SELECT 'r' AS k, doc AS t, version AS n, NULL AS at FROM feed_members
  WHERE member_id = $1
UNION ALL SELECT 'd', item_key, 0, until FROM feed_dismissals WHERE member_id = $1
UNION ALL SELECT 'm', category, 0, NULL FROM feed_mutes WHERE member_id = $1
UNION ALL SELECT 'p', '', CASE WHEN personalised THEN 1 ELSE 0 END, NULL
  FROM feed_preferences WHERE member_id = $1"""


def _instant(value: datetime | str) -> datetime:
    """A timestamp as SQLite hands it back (text) or PostgreSQL (a datetime), in UTC."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


async def member_state(member_id: int, now: datetime) -> tuple[MemberRow, Signals]:
    """``member_row`` and ``signals_of`` in one statement (dismissals past their end are
    left out here, in Python: the same on both backends)."""
    row, dismissed, muted, personalised = MemberRow(0, None), set(), [], True
    sqlite = dialect() == "sqlite"
    text, args = (STATE.replace("$1", "?"), [member_id] * 4) if sqlite else (STATE, [member_id])
    for k, t, n, at in await execute(text, args):
        if k == "r":
            row = MemberRow(int(n), t)
        elif k == "d" and _instant(at) > now:
            dismissed.add(str(t))
        elif k == "m":
            muted.append(str(t))
        elif k == "p":
            personalised = bool(n)
    return row, Signals(frozenset(dismissed), tuple(sorted(muted)), personalised)


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


POPULAR = """SELECT scope, scope_id, product_id, score FROM feed_popularity
  WHERE scope IN ({scopes}) AND scope_id IN ({ids}) AND "rank" <= {limit} ORDER BY "rank"
"""


async def popular(
    scopes: list[tuple[PopularityScope, int]], limit: int
) -> dict[tuple[PopularityScope, int], list[tuple[int, float]]]:
    """The ``limit`` best sellers of each of ``scopes`` ((STORE, id), (REGION, id),
    (CHAIN, 0)), best first, in one statement."""
    if not scopes:
        return {}
    wanted = set(scopes)
    names, ids = sorted({s.value for s, _ in scopes}), sorted({i for _, i in scopes})
    args: list[object] = [*names, *ids, limit]
    postgres = dialect() != "sqlite"
    marks = [f"${i}" if postgres else "?" for i in range(1, len(args) + 1)]
    text = POPULAR.format(
        scopes=", ".join(marks[: len(names)]),
        ids=", ".join(marks[len(names) : -1]),
        limit=marks[-1],
    )
    out: dict[tuple[PopularityScope, int], list[tuple[int, float]]] = {k: [] for k in scopes}
    for scope, scope_id, product_id, score in await execute(text, args):
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
