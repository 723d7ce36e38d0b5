"""GraphQL limits out of their range stop the start, like every other bounded setting
(GQL_MAX_DEPTH=-1 or GQL_PAGE_MAX=0 were taken silently and turned a limit off)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.config import Settings


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("gql_max_depth", -1),
        ("gql_max_aliases", -1),
        ("gql_max_tokens", -5),
        ("gql_max_cost", 0),
        ("gql_page_max", 0),
    ],
)
def test_a_graphql_limit_out_of_range_is_refused(name, value):
    with pytest.raises(ValidationError) as refused:
        Settings(app_env="test", **{name: value})
    assert refused.value.errors()[0]["loc"] == (name,)


def test_the_defaults_are_in_range():
    s = Settings(app_env="test")
    assert (s.gql_max_depth, s.gql_max_aliases, s.gql_max_tokens, s.gql_page_max) == (
        10,
        15,
        1_000,
        100,
    )
