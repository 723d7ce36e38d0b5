"""A small document whose fragments spread each other ten times a level is refused
quickly, with a code: the depth, alias and cost rules measure each fragment once.

strawberry's depth and alias rules expanded every spread again: the 8-level bomb (1,419
characters) held the process for 119 s before it was refused. No timing assertion: on
the old rules these tests run into the timeout below.

Each document also carries an ``otpRequest`` mutation, the operation that is asked to
run: all operations of a document are validated, so the bomb refuses the whole request
and "no OTP challenge written" proves nothing ran.
"""

from __future__ import annotations

import pytest

from domain.auth.tables import OtpChallenge
from domain.notifications.tables import Message

PROBE = 'mutation M { probe: otpRequest(phone: "13911119999") { __typename } }'
SPREADS = 10  # the most the repeated-field pre-check lets through (GQL_MAX_FIELD_REPEATS)
REFUSALS = {"TOO_DEEP", "TOO_MANY_ALIASES", "COST_LIMIT", "VALIDATION_ABORTED"}
REFUSALS |= {"GRAPHQL_VALIDATION_FAILED"}  # "Unknown fragment" (costless_bomb)

# Query.members -> edges -> node -> points -> history -> edges -> node: the types a
# member-facing client reaches, no introspection
CHAIN = [
    ("Query", "members"),
    ("MemberConnection", "edges"),
    ("MemberEdge", "node"),
    ("Member", "points"),
    ("Points", "history"),
    ("LedgerEntryConnection", "edges"),
    ("LedgerEntryEdge", "node"),
]


def _spreads(level: int) -> str:
    return " ".join([f"...F{level}"] * SPREADS)


def introspection_bomb(levels: int) -> str:
    fragments = " ".join(
        f"fragment F{i} on __Type {{ name ofType {{ {_spreads(i + 1)} }} }}" for i in range(levels)
    )
    return (
        f'query Q {{ __type(name: "Query") {{ ...F0 }} }} {fragments} '
        f"fragment F{levels} on __Type {{ name }}"
    )


def production_bomb() -> str:
    fragments = " ".join(
        f"fragment F{i} on {type_} {{ {field} {{ {_spreads(i + 1)} }} }}"
        for i, (type_, field) in enumerate(CHAIN)
    )
    return f"query Q {{ ...F0 }} {fragments} fragment F{len(CHAIN)} on LedgerEntry {{ id }}"


def costless_bomb(levels: int) -> str:
    """No field at all: the old cost rule, which stopped only past the ceiling, expanded it
    all; the unknown fragment at the bottom is graphql-core's refusal."""
    fragments = " ".join(
        f"fragment F{i} on Query {{ ... on Query {{ {_spreads(i + 1)} }} }}" for i in range(levels)
    )
    return f"query Q {{ ...F0 }} {fragments} fragment F{levels} on Query {{ ...Nope }}"


@pytest.fixture
async def nothing_ran():
    before = (await OtpChallenge.all().count(), await Message.all().count())
    yield
    assert (await OtpChallenge.all().count(), await Message.all().count()) == before


@pytest.mark.timeout(20, func_only=True)  # the request, not the database setup
@pytest.mark.parametrize(
    "document",
    [introspection_bomb(8), introspection_bomb(12), production_bomb(), costless_bomb(12)],
    ids=["introspection-8", "introspection-12", "members-chain-8", "costless-12"],
)
async def test_a_fragment_bomb_is_refused_with_a_code(client, nothing_ran, document):
    assert len(document) < 2_500  # small: under every size limit
    r = await client.post("/graphql", json={"query": f"{PROBE} {document}", "operationName": "M"})
    body = r.json()
    assert "data" not in body or body["data"] is None
    codes = {e.get("extensions", {}).get("code") for e in body["errors"]}
    assert codes and codes <= REFUSALS, body


async def test_aliases_are_counted_with_fragments_expanded(client, nothing_ran):
    """Two aliases a level, each level spread ten times: every spread counts."""
    fragments = " ".join(
        f"fragment A{i} on __Type {{ a: name b: name ofType {{ {_spreads(i + 1)} }} }}"
        for i in range(5)
    ).replace("...F", "...A")
    document = (
        f'query Q {{ __type(name: "Query") {{ ...A0 }} }} {fragments} '
        "fragment A5 on __Type { c: name }"
    )
    r = await client.post("/graphql", json={"query": f"{PROBE} {document}", "operationName": "M"})
    errors = [e for e in r.json()["errors"] if "aliases" in e["message"]]
    # level i reached 10^i times; the probe's alias counts too (all operations count)
    total = sum(2 * 10**i for i in range(5)) + 10**5 + 1
    assert [e["message"] for e in errors] == [f"{total} aliases found. Allowed: 15"]
    assert errors[0]["extensions"] == {"code": "TOO_MANY_ALIASES"}


async def test_syntax_and_validation_errors_carry_the_common_codes(client):
    syntax = (await client.post("/graphql", json={"query": "{ viewer {"})).json()
    assert "Expected Name, found <EOF>" in syntax["errors"][0]["message"]
    assert syntax["errors"][0]["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    unknown = (await client.post("/graphql", json={"query": "{ noSuchField }"})).json()
    assert "Cannot query field 'noSuchField'" in unknown["errors"][0]["message"]
    assert unknown["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "data" not in syntax and "data" not in unknown
