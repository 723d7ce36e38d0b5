"""Limits that reject an abusive document before any resolver runs.

In order: ``DocumentSize`` refuses a document longer than GQL_MAX_DOCUMENT_CHARS before
the parser sees it (code DOCUMENT_TOO_LARGE); the parser stops after GQL_MAX_TOKENS
tokens (DOCUMENT_TOO_LARGE); ``schema.document_checks`` refuses several operations without
``operationName`` and a field repeated too often in one selection set; then validation
rules: depth (TOO_DEEP), aliases (TOO_MANY_ALIASES; strawberry's rules, with codes), one
sign-in per request and cost (here), under a smaller work budget of graphql-core's
overlapping-fields rule (VALIDATION_ABORTED).

Cost: every field costs 1, except the expensive ones in ``FIELD_COSTS`` (a sign-in
hashes a password or sends an SMS); a field taking ``first`` multiplies the cost of what
it selects by that page size (a variable counts as the maximum page). Fragments are
expanded, so hiding work in fragments does not help.

Sign-ins: an operation may call at most one of ``SIGN_IN_FIELDS`` (code
TOO_MANY_SIGN_INS), aliased or not, so one request cannot try many passwords.
"""

from __future__ import annotations

import re

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
from graphql.validation.rules import overlapping_fields_can_be_merged
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
    max_aliases,
    query_depth_limiter,
)

from domain.config import Settings
from schema.document_checks import CheckedParse, CheckedValidation, coded

# What a field costs instead of 1: the work behind it (documented in README "Limits").
FIELD_COSTS: dict[str, int] = {
    "staffSignIn": 500,  # an Argon2 password hash: ~100 ms of CPU
    "memberSignIn": 100,  # a code check under a lock, tokens minted
    "otpRequest": 200,  # an SMS sent (money) and rate-limit counters
    "tokenRefresh": 50,  # a token family lookup and rotation
    "memberRevealPersonalData": 100,  # decrypts personal data and writes an audit row
    "customer360": 50,  # one member's whole history
}
SIGN_IN_FIELDS = frozenset({"staffSignIn", "memberSignIn", "otpRequest", "tokenRefresh"})


class DocumentSize(SchemaExtension):
    """Refuse an oversize document before the parser sees it: longer than
    GQL_MAX_DOCUMENT_CHARS, or more than GQL_MAX_TOKENS tokens by a count made with two
    regular expressions (C speed, ~1 ms for 20 KB; graphql-core's lexer needed ~20 ms to
    reach 1,000 tokens on a busy machine). The count never exceeds the lexer's (strings
    count as one token, comments as none, ``...F`` as one), so the parser's own exact
    limit still decides a document the estimate lets through."""

    def __init__(self, max_chars: int, max_tokens: int) -> None:
        self.max_chars, self.max_tokens = max_chars, max_tokens

    def on_parse(self):  # type: ignore[override]
        query = self.execution_context.query
        if query is not None and len(query) > self.max_chars:
            raise GraphQLError(
                f"The document is longer than {self.max_chars} characters (limit).",
                extensions={"code": "DOCUMENT_TOO_LARGE"},
            )
        if query is not None and estimated_tokens(query) > self.max_tokens:
            raise GraphQLError(
                f"Syntax Error: Document contains more than {self.max_tokens} tokens.",
                extensions={"code": "DOCUMENT_TOO_LARGE"},
            )
        yield


_OPAQUE = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n\r]|\\.)*"|#[^\n\r]*')
_TOKENS = re.compile(r"[_0-9A-Za-z.+-]+|[!$&():=@\[\]{|}]")


def estimated_tokens(document: str) -> int:
    """A lower bound of the lexer's token count: strings one token, comments none."""
    text = _OPAQUE.sub(lambda m: "" if m.group().startswith("#") else " s ", document)
    return len(_TOKENS.findall(text))


class OneSignIn(ValidationRule):
    """At most one of SIGN_IN_FIELDS per operation, however it is spelled."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:
        fragments = {
            d.name.value: d
            for d in self.context.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        if _count_sign_ins(node.selection_set, fragments, frozenset()) > 1:
            self.report_error(
                GraphQLError(
                    "At most one sign-in mutation (staffSignIn, memberSignIn, otpRequest, "
                    "tokenRefresh) per request.",
                    node,
                    extensions={"code": "TOO_MANY_SIGN_INS"},
                )
            )


def _count_sign_ins(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> int:
    count = 0
    for sel in selection_set.selections if selection_set else ():
        if isinstance(sel, FieldNode):
            count += sel.name.value in SIGN_IN_FIELDS
        elif isinstance(sel, InlineFragmentNode):
            count += _count_sign_ins(sel.selection_set, fragments, seen)
        elif isinstance(sel, FragmentSpreadNode):
            frag = fragments.get(sel.name.value)
            if frag is not None and sel.name.value not in seen:
                count += _count_sign_ins(frag.selection_set, fragments, seen | {sel.name.value})
        if count > 1:
            return count
    return count


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
            own = FIELD_COSTS.get(sel.name.value, 1)
            total += own + _page_size(sel, page_max) * inner
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
        coded(query_depth_limiter.create_validator(settings.gql_max_depth, None, None), "TOO_DEEP"),
        coded(max_aliases.create_validator(settings.gql_max_aliases), "TOO_MANY_ALIASES"),
        OneSignIn,
        cost_rule(settings.gql_max_cost, settings.gql_page_max),
    ]
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    # graphql-core's documented knob (read as each validation starts): a document that
    # makes its overlapping-fields rule compare this much is refused after ~20-25 ms, not
    # ~170 ms (its default is 500,000 units); the member-home query spends none of it
    overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = OVERLAP_BUDGET
    return [
        lambda: DocumentSize(settings.gql_max_document_chars, settings.gql_max_tokens),
        lambda: MaxTokensLimiter(max_token_count=settings.gql_max_tokens),
        lambda: CheckedParse(maxsize=1024, max_field_repeats=settings.gql_max_field_repeats),
        lambda: AddValidationRules(rules),
        lambda: CheckedValidation(maxsize=1024),
    ]


OVERLAP_BUDGET = 50_000
