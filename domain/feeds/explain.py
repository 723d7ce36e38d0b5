"""Why an item is in the member's feed, in the words the app shows (Chinese). Pure: the
serving code passes in what a reason names (products, days, the popularity scope)."""

from __future__ import annotations

from datetime import date

from domain.feeds.model import FeedKind, PopularityScope

POPULAR_REASON = {
    PopularityScope.STORE: "本店热销",
    PopularityScope.REGION: "本区热销",
    PopularityScope.CHAIN: "全国热销",
}
SIMILAR_REASON = "和你口味相近的会员也在买"
SEASONAL_REASON = "应季推荐"


def category_label(path: str) -> str:
    """The last segment of a category path: "生鲜/水果" -> "水果"."""
    return path.rstrip("/").rsplit("/", 1)[-1] or path


def product_reason(
    kind: FeedKind,
    *,
    ref_name: str | None = None,
    days_since_last: int | None = None,
    scope: PopularityScope = PopularityScope.CHAIN,
    category: str | None = None,
) -> str:
    """The reason of a product suggestion of ``kind``."""
    if kind is FeedKind.BOUGHT_TOGETHER:
        return f"常与 {ref_name} 一起购买" if ref_name else "常与你买过的商品一起购买"
    if kind is FeedKind.REPLENISH:
        if days_since_last is None:
            return "快用完了吧？"
        if days_since_last <= 0:
            return "上次购买是今天"
        return f"上次购买是 {days_since_last} 天前"
    if kind is FeedKind.SIMILAR_MEMBERS:
        return SIMILAR_REASON
    if kind is FeedKind.SEASONAL:
        return SEASONAL_REASON
    if kind is FeedKind.POPULAR_NEAR_YOU:
        return POPULAR_REASON[scope]
    if kind is FeedKind.NEW_IN_FAVOURITE_CATEGORY:
        return f"你常买的 {category_label(category)} 上新了" if category else "你常买的品类上新了"
    raise ValueError(f"{kind} is not a product kind")


def coupon_reason(name: str, *, new_member: bool) -> str:
    return f"新会员专享：{name}" if new_member else f"可领取：{name}"


def multiplier_text(multiplier_pct: int) -> str:
    """200 -> "2倍", 150 -> "1.5倍"."""
    whole, rest = divmod(multiplier_pct, 100)
    if not rest:
        return f"{whole}倍"
    return f"{multiplier_pct / 100:g}倍"


def campaign_reason(name: str, multiplier_pct: int) -> str:
    """ "今天会员日：积分2倍"; a name that already says its multiplier ("会员日双倍积分")
    is not followed by it again."""
    if "倍" in name:
        return f"今天{name}"
    return f"今天{name}：积分{multiplier_text(multiplier_pct)}"


def points_expiring_reason(points: int, last_day: date, today: date) -> str:
    if last_day <= today:
        return f"{points} 积分今天到期，记得使用"
    return f"{points} 积分将于 {last_day.month}月{last_day.day}日 到期，记得使用"
