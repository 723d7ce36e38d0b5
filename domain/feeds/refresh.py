"""The order-time refresh: after a member's order (or refund) their document is computed
again at once from their whole history in the window and the tonight-built global model
(the parts for their products, from the tables): bought products that are not
replenishable leave the feed (``doc.recent``), complements of the new basket rise.

Under the row lock of the member's document: two refreshes of one member run one after
the other and the second reads the history the first did not see (neither is lost)."""

from __future__ import annotations

from datetime import timedelta

from domain import clock
from domain.catalog import store as catalog
from domain.config import Settings
from domain.db import in_transaction
from domain.feeds.engine import EngineParams, Purchases, member_models
from domain.feeds.engine_member import SEASONAL_MIN_LIFT
from domain.feeds.model import MemberModel
from domain.feeds.rebuild import LEFT_OUT, window
from domain.feeds.store import build
from domain.members import store as members
from domain.orders.store import feed_lines


async def member(settings: Settings, member_id: int) -> int | None:
    """Write the member's new document (version + 1); its version, or None for a member
    who is not there, merged or erased (nothing written)."""
    row = await members.get_or_none(member_id)
    if row is None or row.status in LEFT_OUT:
        return None
    params = EngineParams.from_settings(settings)
    async with in_transaction():
        now = clock.now()
        await build.lock_member(member_id, now)
        doc = MemberModel()
        if await build.is_personalised(member_id):
            begin, end = window(now, settings)
            m, day, item, store = await feed_lines.feed_lines_of_member(member_id, begin, end)
            if m.size:
                items = sorted(set(item.tolist()))
                today = clock.business_date(now)
                model = await build.load_model(
                    items,
                    new_since=today - timedelta(days=params.new_product_days),
                    seasonal_from=SEASONAL_MIN_LIFT,
                )
                wanted = set(items) | set(model.stats)
                category_of = {
                    r["id"]: r["category_path"]
                    for r in await catalog.rows_by_ids(sorted(wanted), ("id", "category_path"))
                }
                chunk = Purchases(member=m, day=day, item=item, store=store)
                for _m, computed in member_models(chunk, model, today, params, category_of):
                    doc = computed
        await build.save_member(member_id, doc.dumps(), now)
        saved = await build.member_doc(member_id)
    return saved[1] if saved else None
