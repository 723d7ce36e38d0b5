"""What the schema fuzz (test_fuzz.py) generates: documents per root field, with
strategies for every scalar that draw boundaries and garbage far more often than uniform
draws would (Int edges, ids past every key column, times outside UTC's range, JSON that
is not an object)."""

from __future__ import annotations

import base64
import functools
import os
from pathlib import Path

import graphql
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from tests.conftest import ROOT

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))

# The central string-argument rules (schema/input_rules.py, enforced before any resolver
# by schema.input_check.InputRules) refuse NUL bytes, control characters and over-long
# strings, so the fuzz sends full-range strings (any character, any length) in every
# String argument and input field. False: short printable strings only.
CENTRAL_STRING_RULES_MERGED = True

FUZZ_PHONE = "+8613900139321"  # the fuzz's own member (test_fuzz.py signs it in)

SCHEMA = graphql.build_schema(Path(ROOT, "schema.graphql").read_text())
QUERY_FIELDS = sorted(SCHEMA.query_type.fields)
MUTATION_FIELDS = sorted(SCHEMA.mutation_type.fields)
NODE_TYPES = sorted(
    name
    for name, t in SCHEMA.type_map.items()
    if isinstance(t, graphql.GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces)
)

MIN_INT, MAX_INT = -(2**31), 2**31 - 1

# Ints: the boundaries (pages of 0, -1, 101, 2**31-1) far more often than uniform draws.
INTS = st.one_of(
    st.sampled_from([0, 1, -1, 2, 20, 100, 101, MAX_INT, MIN_INT]),
    st.integers(-5, 500),
    st.integers(MIN_INT, MAX_INT),
)

# Lone surrogates cannot travel in a UTF-8 JSON body: every other character can.
_ANY_CHAR = st.characters(codec=None, blacklist_categories=["Cs"])
_PRINTABLE = st.characters(codec=None, blacklist_categories=["Cs", "Cc"])
_TEXT = (
    st.text(_ANY_CHAR) | st.text(_ANY_CHAR, min_size=200, max_size=400)
    if CENTRAL_STRING_RULES_MERGED
    else st.text(_PRINTABLE, max_size=16)  # the shortest text column is 16 characters
)
# Codes the seed and test_fuzz.py's fixture create, so lookups succeed and the fuzz gets past
# them into the rules behind (a random store code never finds a store). The phone and the
# e-mail are the fuzz's own accounts: sign-in throttles never hit a shared seed account.
KNOWN = (
    *("SH01", "GZ01", "EAST", "SOUTH", "REGULAR", "GOLD", "FUZZ-SKU", "FUZZ-CPN", "FUZZ-RWD"),
    *(FUZZ_PHONE, FUZZ_PHONE[3:], "fz@test.cn", "GOODS", "COUPON", "LOTTERY"),
    *("0", "-1", "1.5", "9" * 16, "2026-01-01", "{}", "[]", " ", "null"),
)
STRINGS = st.one_of(st.sampled_from(KNOWN), _TEXT)

# Ids: opaque global ids of every Node type (and of none) around keys of every size (the
# edges of 32- and 64-bit columns most of all), raw integers and plain garbage.
_KEYS = st.one_of(
    st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**70]),
    st.integers(1, 40),
    st.integers(-(2**70), 2**70),
)
_inner = st.one_of(_KEYS.map(str), STRINGS)
GLOBAL_IDS = st.builds(
    lambda kind, inner: base64.b64encode(f"{kind}:{inner}".encode()).decode(),
    st.sampled_from([*NODE_TYPES, *NODE_TYPES, "Order", "Coupon", "Nope", ""]),
    _inner,
)
IDS = st.one_of(
    GLOBAL_IDS.map(nodes.String),
    _KEYS.map(nodes.String),
    INTS.map(nodes.Int),
    STRINGS.map(nodes.String),
)

DATES = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01", "9999-12-31", "2024-02-30", "", "today", "2026-13-01"]),
)
DATETIMES = st.one_of(
    st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            *("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"),  # past UTC's range
            *("9999-12-31T23:59:59", "0001-01-01T00:00:00", "2026-01-01", "x"),
        ]
    ),
)


def _json_node(value: object) -> graphql.ValueNode:
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_json_node(v) for v in value])
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_json_node(v))
            for k, v in value.items()
        ]
    )


# JSON values of every shape: objects, but also lists, strings, numbers, null.
_JSON_KEYS = st.sampled_from(["birthdayCouponValueFen", "freeReturns"]) | st.from_regex(
    r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True
)


def _json_containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=3) | st.dictionaries(_JSON_KEYS, inner, max_size=3)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | STRINGS,
    _json_containers,
    max_leaves=6,
)

SCALARS = {
    "String": STRINGS.map(nodes.String),
    "Int": INTS.map(nodes.Int),
    "ID": IDS,
    "Date": DATES.map(nodes.String),
    "DateTime": DATETIMES.map(nodes.String),
    "JSON": JSON_VALUES.map(_json_node),
}


@functools.cache
def documents(operation: str, field: str) -> st.SearchStrategy[str]:
    """Documents selecting this one root field (built once: building walks the schema)."""
    build = queries if operation == "query" else mutations
    return build(
        SCHEMA,
        fields=[field],
        custom_scalars=SCALARS,
    )


@functools.cache
def examples(operation: str, field: str) -> tuple[str, ...]:
    """The documents for one root field: the same on every run and for every caller.

    Hypothesis draws them (no shrinking: a failure lists every failing document instead,
    which keeps a red run bounded in time); the requests are sent afterwards, on the
    test's event loop."""
    found: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    @given(documents(operation, field))
    def collect(document: str) -> None:
        found.append(document)

    collect()
    return tuple(found)
