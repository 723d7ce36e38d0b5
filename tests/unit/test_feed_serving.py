"""Serving's pure rules: the Chinese reasons, which ranked products a member may see,
where offers go, and pages of a feed that moved between calls."""

from __future__ import annotations

from datetime import date

from domain.feeds import explain
from domain.feeds.model import Candidate, FeedKind, PopularityScope
from domain.feeds.ranking import (
    OFFER_SLOTS,
    FeedEntry,
    category_of,
    is_muted,
    slot_offers,
    visible,
    window,
)


def test_product_reasons_name_what_they_rest_on():
    reason = explain.product_reason
    assert reason(FeedKind.BOUGHT_TOGETHER, ref_name="鲜牛奶") == "常与 鲜牛奶 一起购买"
    assert reason(FeedKind.REPLENISH, days_since_last=12) == "上次购买是 12 天前"
    assert reason(FeedKind.REPLENISH, days_since_last=0) == "上次购买是今天"
    assert reason(FeedKind.POPULAR_NEAR_YOU, scope=PopularityScope.STORE) == "本店热销"
    assert reason(FeedKind.POPULAR_NEAR_YOU, scope=PopularityScope.REGION) == "本区热销"
    assert reason(FeedKind.POPULAR_NEAR_YOU, scope=PopularityScope.CHAIN) == "全国热销"
    assert reason(FeedKind.SIMILAR_MEMBERS) == "和你口味相近的会员也在买"
    assert reason(FeedKind.SEASONAL) == "应季推荐"
    new = reason(FeedKind.NEW_IN_FAVOURITE_CATEGORY, category="生鲜/水果")
    assert new == "你常买的 水果 上新了"


def test_offer_reasons():
    assert explain.coupon_reason("满200减50", new_member=False) == "可领取：满200减50"
    assert explain.coupon_reason("满100减20", new_member=True) == "新会员专享：满100减20"
    assert explain.campaign_reason("会员日", 200) == "今天会员日：积分2倍"
    assert explain.campaign_reason("周末", 150) == "今天周末：积分1.5倍"
    assert explain.campaign_reason("会员日双倍积分", 200) == "今天会员日双倍积分"  # said once
    today = date(2026, 12, 1)
    assert explain.points_expiring_reason(300, date(2026, 12, 31), today) == (
        "300 积分将于 12月31日 到期，记得使用"
    )
    assert explain.points_expiring_reason(5, today, today) == "5 积分今天到期，记得使用"


def test_mutes_are_whole_path_segments():
    assert is_muted("生鲜/水果", ["生鲜"])
    assert is_muted("生鲜/水果/苹果", ["生鲜/水果"])
    assert is_muted("生鲜/水果", ["生鲜/水果/"])
    assert not is_muted("生鲜/水果", ["生鲜/水"])
    assert not is_muted("乳品/鲜奶", ["生鲜"])
    assert category_of("生鲜/水果/苹果") == "生鲜/水果" == category_of("生鲜/水果")


def test_visible_drops_missing_dismissed_muted_and_other_kinds():
    ranked = [
        Candidate(1, FeedKind.BOUGHT_TOGETHER, 0.9),
        Candidate(2, FeedKind.REPLENISH, 0.8),  # dismissed
        Candidate(3, FeedKind.SEASONAL, 0.7),  # muted category
        Candidate(4, FeedKind.POPULAR_NEAR_YOU, 0.6),  # not in the catalogue
        Candidate(5, FeedKind.POPULAR_NEAR_YOU, 0.5),
    ]
    paths = {1: "乳品/鲜奶", 2: "乳品/鲜奶", 3: "生鲜/水果/苹果", 5: "粮油/米面"}
    kept = visible(ranked, paths, {"product:2"}, ["生鲜/水果"])
    assert [c.product_id for c in kept] == [1, 5]
    only = visible(ranked, paths, set(), [], frozenset({FeedKind.POPULAR_NEAR_YOU}))
    assert [c.product_id for c in only] == [5]


def test_offers_take_the_fixed_slots_and_follow_a_short_list():
    products = [f"p{i}" for i in range(20)]
    feed = slot_offers(products, ["A", "B", "C"])
    assert [feed.index(o) for o in "ABC"] == list(OFFER_SLOTS[:3])
    assert [x for x in feed if x.startswith("p")] == products  # product order kept
    assert slot_offers(["p0", "p1", "p2", "p3"], ["A", "B"]) == ["p0", "p1", "A", "p2", "p3", "B"]
    assert slot_offers([], ["A"]) == ["A"]
    many = slot_offers(products, [f"o{i}" for i in range(7)])
    assert [many.index(f"o{i}") for i in range(5)] == list(OFFER_SLOTS)
    assert many[-2:] == ["o5", "o6"]


def test_pages_follow_the_cursor_item_even_when_the_list_moved():
    keys = [f"product:{i}" for i in range(10)]
    assert window(keys, None, 4) == (0, 4, True)
    assert window(keys, (3, "product:3"), 4) == (4, 8, True)
    assert window(keys, (7, "product:7"), 4) == (8, 10, False)
    moved = ["product:99", *keys]  # an item came in above: the page continues after 3
    assert window(moved, (3, "product:3"), 4) == (5, 9, True)
    gone = [k for k in keys if k != "product:3"]  # the cursor's item was dismissed
    assert window(gone, (3, "product:3"), 4) == (3, 7, True)
    assert window(keys, (50, "product:50"), 4) == (10, 10, False)


def test_entries_survive_the_cache_round_trip():
    e = FeedEntry("coupon:X", FeedKind.COUPON, "可领取：X", {"slot": 2.0}, None, {"code": "X"})
    assert FeedEntry.from_json(e.to_json()) == e
    p = FeedEntry("product:7", FeedKind.REPLENISH, "上次购买是 3 天前", {"score": 1.5}, 7)
    assert FeedEntry.from_json(e.to_json()) != p
    assert FeedEntry.from_json(p.to_json()) == p
