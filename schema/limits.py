"""Limits that reject an abusive document before any resolver runs.

Depth, aliases and tokens use strawberry's own extensions; the cost limit is a
validation rule here: every field costs 1, and a field taking ``first`` multiplies
the cost of what it selects by that page size (a variable counts as the maximum
page). Fragments are expanded, so hiding work in fragments does not help.
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
    max_aliases,
    query_depth_limiter,
)

from domain.config import Settings


def cost_rule(max_cost: int, page_max: int) -> type[ValidationRule]:
    class CostLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            doc = context.document
            fragments = {
                d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
            }
            for op in doc.definitions:
                if not isinstance(op, OperationDefinitionNode):
                    continue
                cost = _cost(op.selection_set, fragments, page_max, max_cost, frozenset())
                if cost > max_cost:
                    name = op.name.value if op.name else "anonymous"
                    context.report_error(
                        GraphQLError(
                            f"Operation '{name}' costs more than {max_cost} (limit); "
                            "ask for fewer items or fields.",
                            op,
                            extensions={"code": "COST_LIMIT"},
                        )
                    )

    return CostLimit


def _cost(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    page_max: int,
    ceiling: int,
    seen: frozenset[str],
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            inner = _cost(sel.selection_set, fragments, page_max, ceiling, seen)
            total += 1 + _page_size(sel, page_max) * inner
        elif isinstance(sel, InlineFragmentNode):
            total += _cost(sel.selection_set, fragments, page_max, ceiling, seen)
        elif isinstance(sel, FragmentSpreadNode):
            name = sel.name.value
            frag = fragments.get(name)
            if frag is None or name in seen:  # unknown / cyclic: other rules report it
                continue
            total += _cost(frag.selection_set, fragments, page_max, ceiling, seen | {name})
        if total > ceiling:  # stop early on a huge document
            return total
    return total


def _page_size(field: FieldNode, page_max: int) -> int:
    for arg in field.arguments or ():
        if arg.name.value in ("first", "last"):
            if isinstance(arg.value, IntValueNode):
                return max(1, min(int(arg.value.value), page_max))
            return page_max
    return 1


def extensions(settings: Settings) -> list:
    """Schema extensions as factories (a fresh instance per request), in order.

    The validation rules are built once, here: the validation cache is keyed by the
    document *and* the rule classes, so a depth or alias rule class made per request
    (what ``QueryDepthLimiter(...)`` does) would make every request a miss and every
    document be validated again (a third of a member-home request's CPU)."""
    rules: list[type[ValidationRule]] = [
        query_depth_limiter.create_validator(settings.gql_max_depth, None, None),
        max_aliases.create_validator(settings.gql_max_aliases),
        cost_rule(settings.gql_max_cost, settings.gql_page_max),
    ]
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    return [
        lambda: MaxTokensLimiter(max_token_count=settings.gql_max_tokens),
        lambda: ParserCache(maxsize=1024),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=1024),
    ]
