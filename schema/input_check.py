"""``InputRules``: the schema extension that enforces ``schema.input_rules`` before any
resolver runs.

Before execution it evaluates, with the request's variables, the arguments of every field
of the operation that takes a String, ID, JSON or input-object argument, and checks each
value against its rule. Violations answer the operation as a request error, with no
``data`` and nothing executed::

    {"errors": [{"message": "Input `staffSignIn.email` is not valid: at most 254
      characters.", "extensions": {"code": "INVALID_INPUT", "field": "staffSignIn.email"}}]}

In a mutation, every ranged Int argument of its selection (``RANGED_ARGS``: a page of the
payload, e.g. ``memberUpdate { ... on Member { orders(first: 0) } }`` against
GQL_PAGE_MAX, or ``points { expiring(days: -5) }``) is checked too: a resolver would
refuse it only after the write was saved.

Which fields to look at depends on the document only, so that list is kept per document
(``_plans``): a query without such arguments (member home) costs one dictionary look-up.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationType,
    get_named_type,
    get_operation_ast,
)
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension

from schema.input_rules import CHECKED_SCALARS, invalid_input, walk_value

MAX_REPORTED = 10
PAGE_ARG = "first"  # checked before a mutation runs (see the module docstring)
# Int arguments of payload fields with a range the resolver enforces, checked before a
# mutation runs: name -> (lowest, highest); ``first`` takes its highest from GQL_PAGE_MAX.
# The same bounds as the services (domain.points.services.expiring: days 1-3660).
RANGED_ARGS: dict[str, tuple[int, int | None]] = {PAGE_ARG: (1, None), "days": (1, 3660)}
PLANS_KEPT = 1024


@dataclass(frozen=True)
class _Checked:
    """A field of the document whose arguments have rules."""

    owner: str  # the parent type's name
    field: GraphQLField
    node: FieldNode
    path: str  # response keys from the root, e.g. "orderCreate" or "a.memberLookup"


class InputRules(SchemaExtension):
    """Check every argument of the operation about to run against its rule, before any
    resolver runs; violations answer the operation as a request error (no ``data``)."""

    def on_execute(self):
        ctx = self.execution_context
        rt = getattr(ctx.context, "rt", None)
        page_max = rt.settings.gql_page_max if rt is not None else None
        errors = violations(ctx.schema._schema, ctx.graphql_document, ctx, page_max)
        if errors:
            ctx.result = ExecutionResult(data=None, errors=errors)
        yield


_plans: OrderedDict[tuple[int, str, str | None], tuple] = OrderedDict()


def violations(
    schema: GraphQLSchema, document: DocumentNode | None, ctx, page_max: int | None = None
) -> list[GraphQLError]:
    if document is None:
        return []
    key = (id(schema), ctx.query or "", ctx.operation_name)
    plan = _plans.get(key)
    if plan is None or plan[0] is not document:
        plan = (document, _plan(schema, document, ctx.operation_name))
        _plans[key] = plan
        if len(_plans) > PLANS_KEPT:
            _plans.popitem(last=False)
    operation, checked, paged = plan[1]
    if not checked and not (paged and page_max):
        return []
    variables = get_variable_values(
        schema, operation.variable_definitions or (), ctx.variables or {}, max_errors=1
    )
    if isinstance(variables, list):  # the executor answers coercion errors itself
        return []
    errors: list[GraphQLError] = []
    for item in checked:
        try:
            values = get_argument_values(item.field, item.node, variables)
        except GraphQLError:  # the executor reports it
            continue
        for name, value in values.items():
            arg_type = item.field.args[name].type
            found = walk_value(
                value, item.owner, item.node.name.value, name, f"{item.path}.{name}", arg_type
            )
            for where, problem in found:
                errors.append(invalid_input(where, problem, [item.node]))
                if len(errors) >= MAX_REPORTED:
                    return errors
    if page_max is not None:
        errors.extend(_page_problems(paged, variables, page_max))
    return errors[:MAX_REPORTED]


def _page_problems(paged: list[_Checked], variables: dict, page_max: int):
    """Ranged arguments (``RANGED_ARGS``) of a mutation's selection out of their range."""
    for item in paged:
        try:
            values = get_argument_values(item.field, item.node, variables)
        except GraphQLError:  # the executor reports it
            continue
        for name, (low, high) in RANGED_ARGS.items():
            value, top = values.get(name), page_max if high is None else high
            if isinstance(value, int) and not low <= value <= top:
                problem = f"between {low} and {top}"
                yield invalid_input(f"{item.path}.{name}", problem, [item.node])


def _plan(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None):
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None, [], []
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    checked: list[_Checked] = []
    root = schema.get_root_type(operation.operation)
    _collect(schema, root, operation.selection_set, fragments, set(), "", checked)
    paged: list[_Checked] = []
    if operation.operation is OperationType.MUTATION:
        _collect(schema, root, operation.selection_set, fragments, set(), "", paged, RANGED_ARGS)
    return operation, checked, paged


def _collect(schema, parent, selection_set, fragments, seen, prefix, out, arg=None) -> None:
    """Fields of the selection with rules (or, given ``arg``, with one of those arguments)."""
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            fields = getattr(parent, "fields", None) or {}
            field_def = fields.get(sel.name.value)
            if field_def is None:  # __typename, introspection: nothing to check
                continue
            path = f"{prefix}{sel.alias.value if sel.alias else sel.name.value}"
            if arg is not None:
                if any(a.name.value in arg for a in sel.arguments or ()):
                    out.append(_Checked(parent.name, field_def, sel, path))
            elif sel.arguments and any(_has_rules(a.type) for a in field_def.args.values()):
                out.append(_Checked(parent.name, field_def, sel, path))
            if sel.selection_set:
                child = get_named_type(field_def.type)
                _collect(schema, child, sel.selection_set, fragments, seen, f"{path}.", out, arg)
        elif isinstance(sel, InlineFragmentNode):
            cond = sel.type_condition
            target = schema.get_type(cond.name.value) if cond else parent
            _collect(schema, target, sel.selection_set, fragments, seen, prefix, out, arg)
        elif isinstance(sel, FragmentSpreadNode):
            name = sel.name.value
            frag = fragments.get(name)
            if frag is None or name in seen:  # a fragment's arguments are checked once
                continue
            seen.add(name)
            target = schema.get_type(frag.type_condition.name.value)
            _collect(schema, target, frag.selection_set, fragments, seen, prefix, out, arg)


def _has_rules(arg_type: object) -> bool:
    named = get_named_type(arg_type)  # type: ignore[arg-type]
    return isinstance(named, GraphQLInputObjectType) or named.name in CHECKED_SCALARS
