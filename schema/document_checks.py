"""Checks of a parsed document made before it is validated, and the codes of the refusals
that graphql-core and strawberry make without one (listed in README "GraphQL limits and
input rules").

* ``CheckedParse`` (strawberry's parser cache): a parser refusal gets a code
  (``DOCUMENT_TOO_LARGE``: more tokens or comments than the limit; ``TOO_DEEP``: nested
  too deeply; any other syntax error ``GRAPHQL_PARSE_FAILED``, the common convention);
  a document of several operations without ``operationName`` is refused
  (``OPERATION_NAME_REQUIRED``: the GraphQL spec's GetOperation; strawberry ran the
  first one); a selection set with more than GQL_MAX_FIELD_REPEATS fields of one response name
  is refused (``TOO_MANY_REPEATED_FIELDS``) before graphql-core's overlapping-fields rule
  compares them pairwise.
* ``CheckedValidation`` (strawberry's validation cache): graphql-core's
  "Validation aborted." (its overlapping-fields work budget spent, or too many errors)
  gets ``VALIDATION_ABORTED``; any other validation error without a code (graphql-core's
  rules: "Cannot query field …") ``GRAPHQL_VALIDATION_FAILED``. The rules of
  ``schema.limits`` give their own codes.
"""

from __future__ import annotations

from collections import Counter, OrderedDict

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import ParserCache, ValidationCache


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    if not (error.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), "code": code}
    return error


class CheckedParse(ParserCache):
    def __init__(self, maxsize: int, max_field_repeats: int) -> None:
        super().__init__(maxsize=maxsize)
        self.max_field_repeats = max_field_repeats

    def on_parse(self):
        steps = super().on_parse()
        try:
            next(steps)  # parsed (or found in the cache)
        except GraphQLSyntaxError as error:
            nested = "nested too deeply" in error.message
            if nested or "Parsing aborted." in error.message:
                with_code(error, "TOO_DEEP" if nested else "DOCUMENT_TOO_LARGE")
            with_code(error, "GRAPHQL_PARSE_FAILED")  # any other syntax error
            raise
        document = self.execution_context.graphql_document
        if document is not None:
            self._check(document)
        yield
        next(steps, None)

    def _check(self, document: DocumentNode) -> None:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        # strawberry keeps the request's operationName only here; without one it runs
        # the first operation of the document
        provided = self.execution_context._provided_operation_name
        if len(operations) > 1 and provided is None:
            raise GraphQLError(
                "The document has several operations: name the one to run in `operationName`.",
                extensions={"code": "OPERATION_NAME_REQUIRED"},
            )
        name, repeats = self._repeats(document)
        if repeats > self.max_field_repeats:
            raise GraphQLError(
                f"`{name}` is selected {repeats} times in one selection set; at most "
                f"{self.max_field_repeats} (limit).",
                extensions={"code": "TOO_MANY_REPEATED_FIELDS"},
            )

    def _repeats(self, document: DocumentNode) -> tuple[str, int]:
        # counted once per document text, as it is parsed once (counting the member-home
        # query took ~0.18 ms, on every request)
        query = self.execution_context.query or ""
        found = _REPEATS.get(query)
        if found is not None:
            _REPEATS.move_to_end(query)
        else:
            found = _REPEATS[query] = most_repeated_field(document)
            if len(_REPEATS) > REPEATS_KEPT:
                _REPEATS.popitem(last=False)
        return found


REPEATS_KEPT = 1024  # documents whose count is kept, as many as the parser cache keeps
_REPEATS: OrderedDict[str, tuple[str, int]] = OrderedDict()


class CheckedValidation(ValidationCache):
    def on_validate(self):
        steps = super().on_validate()
        next(steps)  # validated (or found in the cache)
        for error in self.execution_context.pre_execution_errors or ():
            aborted = isinstance(error, ValidationAbortedError)
            with_code(error, "VALIDATION_ABORTED" if aborted else "GRAPHQL_VALIDATION_FAILED")
        yield
        next(steps, None)


def most_repeated_field(document: DocumentNode) -> tuple[str, int]:
    """The response name selected most often in one selection set, and how often: the
    fields of the set's inline fragments and named fragments (once per spread) count as
    its own, as graphql-core's overlapping-fields rule merges them. Linear in the
    document: a fragment's fields are counted once."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    counted: dict[str, Counter[str]] = {}

    def fields(selection_set: SelectionSetNode, visiting: frozenset[str]) -> Counter[str]:
        counts: Counter[str] = Counter()
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                counts[(sel.alias or sel.name).value] += 1
            elif isinstance(sel, InlineFragmentNode):
                counts.update(fields(sel.selection_set, visiting))
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                if name in visiting or name not in fragments:  # other rules report it
                    continue
                if name not in counted:
                    counted[name] = fields(fragments[name].selection_set, visiting | {name})
                counts.update(counted[name])
        return counts

    worst_name, worst = "", 0
    stack = [d.selection_set for d in document.definitions if getattr(d, "selection_set", None)]
    while stack:
        selection_set = stack.pop()
        for name, count in fields(selection_set, frozenset()).most_common(1):
            if count > worst:
                worst_name, worst = name, count
        stack.extend(
            sel.selection_set
            for sel in selection_set.selections
            if getattr(sel, "selection_set", None) is not None
        )
    return worst_name, worst
