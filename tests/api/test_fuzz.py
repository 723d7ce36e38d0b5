"""Schema-driven fuzz: every root field, as every kind of caller, never crashes.

For each Query and Mutation field of ``schema.graphql`` (kept equal to the served schema
by ``test_schema_contract``) and each principal (anonymous, a member, a partner holding
every scope, an admin), hypothesis-graphql generates documents that select that one
field with arbitrary arguments and sub-selections. Every answer must be a JSON body
below HTTP 500, carry no masked "Unexpected error." and leave no traceback in the log
(``LoyaltySchema.process_errors`` logs one for every unexpected resolver exception).
Each test first checks that its caller is still who it claims to be.

Bounded and deterministic: ``derandomize`` (the same documents on every run, no example
database), ``FUZZ_EXAMPLES`` documents per field, sent as each principal (default 8; try
``FUZZ_EXAMPLES=200`` locally for a long run); what is generated is in fuzz_strategies.py
(with ``CENTRAL_STRING_RULES_MERGED``). The module runs last in the session
(``runs_last`` marker, tests/conftest.py) because an admin's fuzzed mutations change
shared configuration (earn rules, tiers, rewards); the callers are throwaway accounts
so no shared seed account is throttled or locked.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from tests.api.fuzz_strategies import FUZZ_PHONE, MUTATION_FIELDS, QUERY_FIELDS, examples
from tests.conftest import (
    GQL,
    REFRESH,
    STAFF_PASSWORD,
    STAFF_SIGN_IN,
    partner_token,
    sign_in_by_sms,
)

pytestmark = pytest.mark.runs_last

PRINCIPALS = ("anonymous", "member", "partner", "admin")
FUZZ_ADMIN = "fuzz.admin@test.cn"


class _Errors(logging.Handler):
    """Collects ERROR records (with their tracebacks) that the request path logs while a
    document runs: on this thread, the event loop's. The in-process worker's threads log
    their own failures (a job of an earlier test) at the same time; those are not this
    request's."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.thread = threading.get_ident()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.records.append(record)


SETUP = """mutation($member: ID!) {
  productUpsert(products: [{sku: "FUZZ-SKU", name: "fuzz", categoryPath: "fuzz", priceFen: 1000}]) {
    __typename }
  couponTemplateCreate(input: {code: "FUZZ-CPN", name: "fuzz", kind: AMOUNT_OFF, valueFen: 100,
    validityDays: 30, claimable: true, perMemberLimit: 1000}) { __typename }
  rewardUpsert(input: {code: "FUZZ-RWD", name: "fuzz", kind: "GOODS", pointsCost: 1}) {
    __typename }
  pointsAdjust(memberId: $member, points: 100000, reason: "fuzz") { __typename }
}"""


class Caller:
    """A principal the fuzz calls as: its viewer kind and a bearer token, renewed when it
    expired (access tokens live 10 minutes; a long local run outlives them)."""

    def __init__(self, kind: str, token: str | None = None, renew=None) -> None:
        self.kind, self.token, self.renew = kind, token, renew

    async def _kind(self, client: httpx.AsyncClient) -> str | None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        r = await client.post("/graphql", json={"query": "{ viewer { kind } }"}, headers=headers)
        return ((r.json().get("data") or {}).get("viewer") or {}).get("kind")

    async def current(self, client: httpx.AsyncClient) -> str | None:
        """The token, checked to still be this caller's (so no field is fuzzed as an
        anonymous caller by mistake)."""
        kind = await self._kind(client)
        if kind != self.kind and self.renew is not None:
            self.token = await self.renew(GQL(client))
            kind = await self._kind(client)
        assert kind == self.kind, f"the fuzz lost its {self.kind} caller"
        return self.token


def _refreshing(tokens: dict) -> Callable[[GQL], Awaitable[str]]:
    """Renews a member's or staff session with its refresh token (rotated each time)."""

    async def renew(gql: GQL) -> str:
        r = (await gql(REFRESH, {"t": tokens["refreshToken"]}))["data"]["tokenRefresh"]
        assert r["__typename"] == "SignInSuccess", r
        tokens.update(r)
        return r["accessToken"]

    return renew


@pytest.fixture(scope="module")
async def callers(app, seed) -> AsyncIterator[dict[str, Caller]]:
    """Throwaway principals (the fuzz throttles no shared account), and a product, a
    claimable coupon template, a reward and points for the fuzz to reach."""
    from domain.auth.model import PARTNER_SCOPES
    from domain.org.services import create_staff
    from domain.partners.services import create_partner

    await app.state.rt.cache.flushdb()
    await create_staff(FUZZ_ADMIN, STAFF_PASSWORD, "admin")
    await create_staff("fz@test.cn", STAFF_PASSWORD, "store_staff", store_code="SH01")
    partner, secret = await create_partner("fuzz", sorted(PARTNER_SCOPES))
    scopes = " ".join(sorted(PARTNER_SCOPES))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        gql = GQL(c)
        member = await sign_in_by_sms(gql, FUZZ_PHONE)
        staff = (await gql(STAFF_SIGN_IN, {"e": FUZZ_ADMIN, "p": STAFF_PASSWORD}))["data"]
        admin = staff["staffSignIn"]
        member_id = (await gql.as_(member["accessToken"])("{ me { id } }"))["data"]["me"]["id"]
        made = (await gql.as_(admin["accessToken"])(SETUP, {"member": member_id}))["data"]
        pos = await partner_token(c, (partner.client_id, secret), scopes)
    assert {k: v["__typename"] for k, v in made.items()} == {
        "productUpsert": "ProductUpsertSuccess",
        "couponTemplateCreate": "CouponTemplate",
        "rewardUpsert": "Reward",
        "pointsAdjust": "Points",
    }

    async def client_credentials(gql: GQL) -> str:
        return await partner_token(gql.client, (partner.client_id, secret), scopes)

    yield {
        "anonymous": Caller("ANONYMOUS"),
        "member": Caller("MEMBER", member["accessToken"], _refreshing(member)),
        "partner": Caller("PARTNER", pos, client_credentials),
        "admin": Caller("STAFF", admin["accessToken"], _refreshing(admin)),
    }
    await app.state.rt.cache.flushdb()  # no throttle window the fuzz filled outlives it


# signOut last: once it may end the caller's own session, no later field is fuzzed as an
# anonymous caller by mistake (each test checks its caller first).
FIELDS = sorted(
    [("query", f) for f in QUERY_FIELDS] + [("mutation", f) for f in MUTATION_FIELDS],
    key=lambda op_field: op_field[1] == "signOut",
)


async def _problem(client: httpx.AsyncClient, token: str | None, document: str) -> str | None:
    """What is wrong with the answer to one document, or None."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    handler = _Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        response = await client.post("/graphql", json={"query": document}, headers=headers)
    finally:
        root.removeHandler(handler)
    found = []
    if response.status_code >= 500:
        found.append(f"HTTP {response.status_code}: {response.text[:500]}")
    try:
        errors = response.json().get("errors") or ()
    except ValueError:
        found.append(f"not a JSON body: {response.text[:500]!r}")
    else:
        if any(e.get("message") == "Unexpected error." for e in errors):
            found.append(f"Unexpected error.: {json.dumps(errors)[:500]}")
    for record in handler.records:
        exc = record.exc_info[1] if record.exc_info else None
        found.append(f"logged {record.getMessage()!r}: {exc.__class__.__name__}: {exc}"[:500])
    return f"{document}\n  -> " + "\n  -> ".join(found) if found else None


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize(("operation", "field"), FIELDS, ids=[f for _, f in FIELDS])
async def test_no_field_crashes_for_any_caller(client, callers, principal, operation, field):
    token = await callers[principal].current(client)
    docs = examples(operation, field)
    assert docs, f"no document generated for {field}"
    failures = [problem for doc in docs if (problem := await _problem(client, token, doc))]
    assert not failures, f"{len(failures)} failing documents:\n" + "\n".join(failures)
