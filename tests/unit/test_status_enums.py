"""Status-like fields of the schema are enums (the domain's StrEnums), never free
String: the values are listed once, in the domain, and a client can switch on them."""

from __future__ import annotations

from graphql import GraphQLEnumType, GraphQLObjectType, get_named_type

from domain.config import Settings
from schema import build_schema

STATUS_LIKE = ("status", "state", "kind", "channel", "purpose", "source", "role", "cardStatus")
# free text that only shares the name: why a ledger entry or a message is what it is
FREE_TEXT = {
    "LedgerEntry.reason",
    "Notification.reason",
    "MemberMerge.reason",
    # a feed item's reason is the sentence the app shows ("常与 啤酒 一起购买"); its
    # machine-readable side is the item's `kind` enum
    "ProductSuggestion.reason",
    "CouponOffer.reason",
    "CampaignItem.reason",
    "PointsExpiringItem.reason",
}


def _fields():
    schema = build_schema(Settings(app_env="test"))._schema
    for t in schema.type_map.values():
        if isinstance(t, GraphQLObjectType) and not t.name.startswith("__"):
            for name, f in t.fields.items():
                yield f"{t.name}.{name}", name, get_named_type(f.type)


def test_status_like_fields_are_enums():
    strings = [
        where
        for where, name, named in _fields()
        if (name in STATUS_LIKE or name == "reason")
        and where not in FREE_TEXT
        and not isinstance(named, GraphQLEnumType)
    ]
    assert strings == []


def test_enum_values_serialise_as_the_domain_values():
    """The domain's values are the names, so a String field turned enum answers the same
    (``Viewer.role`` is the one exception: ``admin`` is now ``ADMIN``)."""
    from domain.coupons import model as coupons
    from domain.members import model as members
    from domain.notifications import model as notifications
    from domain.orders import model as orders
    from domain.org import model as org
    from domain.points import model as points
    from domain.tiers import model as tiers

    enums = [
        orders.Channel,
        orders.Status,
        members.CardStatus,
        org.StoreChannel,
        notifications.Channel,
        notifications.Purpose,
        notifications.Status,
        coupons.Source,
        coupons.Refusal,
        points.RewardKind,
        tiers.ChangeReason,
    ]
    assert [(e.__name__, m.name) for e in enums for m in e if m.name != m.value] == []
