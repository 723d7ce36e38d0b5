"""Limits that reject an abusive document before any resolver runs.

In order: ``DocumentSize`` refuses a document longer than GQL_MAX_DOCUMENT_CHARS before
the parser sees it (code DOCUMENT_TOO_LARGE); the parser stops after GQL_MAX_TOKENS
tokens (DOCUMENT_TOO_LARGE); ``schema.document_checks`` refuses several operations without
``operationName`` and a field repeated too often in one selection set; then validation
rules (here): depth (TOO_DEEP), aliases (TOO_MANY_ALIASES), one sign-in per request and
cost, each linear in the document (``Measure``: a fragment is measured once), under a
smaller work budget of graphql-core's overlapping-fields rule (VALIDATION_ABORTED).

Cost: every field costs 1, except the expensive ones in ``FIELD_COSTS`` (a sign-in
hashes a password or sends an SMS); a field taking ``first`` multiplies the cost of what
it selects by that page size (a variable counts as the maximum page). Fragments are
expanded, so hiding work in fragments does not help.

Sign-ins: an operation may call at most one of ``SIGN_IN_FIELDS`` (code
TOO_MANY_SIGN_INS), aliased or not, so one request cannot try many passwords.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from graphql import (
    DocumentNode,
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
)

from domain.config import Settings
from schema.document_checks import CheckedParse, CheckedValidation

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

    def on_parse(self):
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
        signed = Measure(self.context.document, sum, lambda f, _: f.name.value in SIGN_IN_FIELDS, 2)
        if signed.of(node.selection_set) > 1:
            self.report_error(
                GraphQLError(
                    "At most one sign-in mutation (staffSignIn, memberSignIn, otpRequest, "
                    "tokenRefresh) per request.",
                    node,
                    extensions={"code": "TOO_MANY_SIGN_INS"},
                )
            )


class Measure:
    """A number measured over selection sets with fragments expanded, in time linear in
    the document: each fragment is measured once and its value reused at every spread
    (strawberry's depth and alias rules expanded each spread again: ten spreads a level,
    eight levels took 119 s). ``combine`` joins a set's selections (sum or max),
    ``field(node, inner)`` gives a field's value from its selection set's; every value is
    capped at ``cap``, so sums and products of a fragment bomb stay small numbers. An
    unknown or cyclic spread counts 0 (graphql-core's rules refuse it)."""

    def __init__(
        self,
        document: DocumentNode,
        combine: Callable[[list[int]], int],
        field: Callable[[FieldNode, int], int],
        cap: int,
    ) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.combine, self.field, self.cap = combine, field, cap
        self.memo: dict[str, int] = {}
        self.visiting: set[str] = set()

    def of(self, selection_set: SelectionSetNode | None) -> int:
        values = [0]
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                values.append(self.field(sel, self.of(sel.selection_set)))
            elif isinstance(sel, InlineFragmentNode):
                values.append(self.of(sel.selection_set))
            elif isinstance(sel, FragmentSpreadNode):
                values.append(self._fragment(sel.name.value))
        return min(self.combine(values), self.cap)

    def _fragment(self, name: str) -> int:
        if name not in self.memo:
            if name in self.visiting or name not in self.fragments:
                return 0
            self.visiting.add(name)
            self.memo[name] = self.of(self.fragments[name].selection_set)
            self.visiting.discard(name)
        return self.memo[name]


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def _name(op: OperationDefinitionNode) -> str:
    return op.name.value if op.name else "anonymous"


def depth_rule(max_depth: int) -> type[ValidationRule]:
    """Nesting depth of fields, fragments expanded (strawberry's rule: a leaf is 0, a field
    1 + its deepest child; introspection fields ``__*`` count 0)."""

    def field(node: FieldNode, inner: int) -> int:
        return 0 if node.name.value.startswith("__") or not node.selection_set else 1 + inner

    class DepthLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            depth = Measure(context.document, max, field, max_depth + 1)
            for op in _operations(context.document):
                if depth.of(op.selection_set) > max_depth:
                    context.report_error(
                        GraphQLError(
                            f"'{_name(op)}' exceeds maximum operation depth of {max_depth}",
                            op,
                            extensions={"code": "TOO_DEEP"},
                        )
                    )

    return DepthLimit


def alias_rule(max_aliases: int) -> type[ValidationRule]:
    """Aliases in the document's operations, each fragment's counted once per spread."""
    cap = max(max_aliases + 1, 1_000_000)  # the message gives the count up to here

    class AliasLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            aliases = Measure(context.document, sum, lambda f, n: (f.alias is not None) + n, cap)
            total = min(
                sum(aliases.of(op.selection_set) for op in _operations(context.document)), cap
            )
            if total > max_aliases:
                context.report_error(
                    GraphQLError(
                        f"{'At least ' if total >= cap else ''}{total} aliases found. "
                        f"Allowed: {max_aliases}",
                        extensions={"code": "TOO_MANY_ALIASES"},
                    )
                )

    return AliasLimit


def operation_costs(document: DocumentNode, page_max: int, ceiling: int) -> list[int]:
    """The cost of each operation of ``document``, capped at ``ceiling`` + 1."""

    def field(node: FieldNode, inner: int) -> int:
        return FIELD_COSTS.get(node.name.value, 1) + _page_size(node, page_max) * inner

    cost = Measure(document, sum, field, ceiling + 1)
    return [cost.of(op.selection_set) for op in _operations(document)]


def cost_rule(max_cost: int, page_max: int) -> type[ValidationRule]:
    class CostLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            doc = context.document
            costs = operation_costs(doc, page_max, max_cost)
            for op, cost in zip(_operations(doc), costs, strict=True):
                if cost > max_cost:
                    context.report_error(
                        GraphQLError(
                            f"Operation '{_name(op)}' costs more than {max_cost} (limit); "
                            "ask for fewer items or fields.",
                            op,
                            extensions={"code": "COST_LIMIT"},
                        )
                    )

    return CostLimit


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
    document *and* the rule classes, so a rule class made per request would make every
    request a miss and every document be validated again (a third of a member-home
    request's CPU)."""
    rules: list[type[ValidationRule]] = [
        depth_rule(settings.gql_max_depth),
        alias_rule(settings.gql_max_aliases),
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
