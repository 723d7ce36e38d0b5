"""The GraphQL surface: root Query/Mutation composed from the area mixins."""

from __future__ import annotations

import logging
import re

import strawberry
from graphql import GraphQLError
from strawberry import relay as strawberry_relay
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types.graphql import OperationType

from domain.auth import policy
from domain.auth.model import PrincipalKind
from domain.config import Settings
from domain.errors import DomainError, InvalidInput
from domain.events import outbox
from resolvers.common import KEY_MAX, parse_key
from schema.audit.fields import AuditQuery
from schema.auth.fields import AuthMutation, AuthQuery
from schema.catalog.fields import CatalogMutation, CatalogQuery
from schema.catalog.types import Product
from schema.coupons.fields import CouponMutation, CouponQuery
from schema.feeds import fields as _feeds  # noqa: F401 (Member.feed, Product.boughtTogether)
from schema.feeds.signals import FeedSignalsMutation, FeedSignalsQuery
from schema.input_check import InputRules
from schema.input_rules import document_rules
from schema.jobs.fields import JobsMutation, JobsQuery
from schema.limits import extensions
from schema.members.fields import MemberMutation, MemberQuery
from schema.members.types import Member
from schema.notifications.fields import NotificationQuery
from schema.orders.fields import OrderMutation
from schema.points.fields import PointsMutation, PointsQuery
from schema.tiers.fields import TierMutation, TierQuery

log = logging.getLogger("loyalty.graphql")

# Node types whose table has a 32-bit key (a larger int overflows the PostgreSQL driver).
# Node types whose key is an INTEGER column (the rest are BIGINT): a larger key names
# nothing, and the PostgreSQL driver would raise rather than miss.
NODE_KEY_MAX = dict.fromkeys(("Product", "CouponTemplate", "PointsCampaign", "Reward"), 2**31 - 1)


@strawberry.type(description="Everything a member app, a partner or staff can read.")
class Query(
    AuthQuery,
    MemberQuery,
    CatalogQuery,
    PointsQuery,
    TierQuery,
    AuditQuery,
    JobsQuery,
    NotificationQuery,
    CouponQuery,
    FeedSignalsQuery,
):
    @strawberry.field(
        description="Any object by its global id; null when it does not exist or is not visible."
    )
    async def node(
        self, info: strawberry.Info, id: strawberry_relay.GlobalID
    ) -> strawberry_relay.Node | None:
        # Only the types policy.NODE_RULES names resolve; each checks the rule of its typed
        # field and member row scope (resolvers.nodes.visible_nodes): null when not visible.
        if id.type_name not in policy.NODE_RULES:
            return None
        try:  # a key that no key column can hold names nothing: null
            key = parse_key(id.node_id, "id", "Not an id.")
        except InvalidInput:
            return None
        if key > NODE_KEY_MAX.get(id.type_name, KEY_MAX):
            return None
        return await id.resolve_node(info, required=False)


@strawberry.type(description="Everything that changes state.")
class Mutation(
    AuthMutation,
    MemberMutation,
    OrderMutation,
    PointsMutation,
    CatalogMutation,
    TierMutation,
    JobsMutation,
    CouponMutation,
    FeedSignalsMutation,
):
    pass


def _unexpected(error: GraphQLError) -> bool:
    """Mask anything that is not a GraphQL-level error we raised on purpose."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    return not isinstance(original, DomainError)  # expected: DomainErrorCodes gives its code


class DomainErrorCodes(SchemaExtension):
    """Give a domain error raised by a query field its stable code in ``extensions``."""

    def on_operation(self):
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            if isinstance(error.original_error, DomainError):
                error.extensions = {**(error.extensions or {}), "code": error.original_error.code}


class PublishAfterMutation(SchemaExtension):
    """After a mutation (its service transaction has committed), tell the outbox's member
    hook which members its events name (and the member who made it), then send those
    events; an operation that recorded none never pays for the relay (the
    scheduler's relay round picks up anything recorded out of this sight)."""

    async def on_operation(self):
        recorded = outbox.watch()
        yield
        ctx = self.execution_context
        if ctx.operation_type is not OperationType.MUTATION or ctx.context is None:
            return
        viewer = ctx.context.viewer
        own = viewer.kind is PrincipalKind.MEMBER and viewer.id is not None
        await outbox.settle(recorded, also=[viewer.id] if own and viewer.id else [])
        if recorded:
            ctx.context.publish()


class HideSuggestions(SchemaExtension):
    """Where introspection is off (production), drop every "Did you mean ...?" from error
    messages: field, argument, type and enum value names alike (graphql-core suggests in
    validation and in variable coercion; strawberry's config covers fields only)."""

    def on_operation(self):
        yield
        for error in getattr(self.execution_context.result, "errors", None) or ():
            if "Did you mean" in error.message:
                error.message = _SUGGESTION.sub("", error.message)


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class LoyaltySchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        for error in errors:
            if _unexpected(error):
                log.error("unexpected error in resolver", exc_info=error.original_error)


def build_schema(settings: Settings) -> strawberry.Schema:
    schema = LoyaltySchema(
        query=Query,
        mutation=Mutation,
        types=[Member, Product],
        extensions=[
            *extensions(settings),
            lambda: MaskErrors(should_mask_error=_unexpected),
            DomainErrorCodes,
            PublishAfterMutation,
            InputRules,
            *([] if settings.introspection_enabled else [HideSuggestions]),
        ],
        config=StrawberryConfig(
            disable_field_suggestions=not settings.introspection_enabled,
            relay_max_results=settings.gql_page_max,
        ),
    )
    document_rules(schema._schema)
    return schema
