"""Input rules: the one place that says how long every string argument and string input
field may be and which characters it may hold, enforced before any resolver runs.

A rule is found by the argument's or input field's *coordinate* first (``OVERRIDES``:
``Mutation.staffSignIn.email``, ``OrderCreateInput.storeCode``), then by its name
(``BY_NAME``: every ``storeCode`` is a code of at most 20 characters). A test walks the
schema and fails for a String, ID or JSON argument or input field that no rule covers,
so a new one cannot reach a resolver unchecked.

Kinds of rule:

* ``text(n)``  any characters but no control characters (no NUL); ``multiline`` allows
  tab and line breaks (reasons, notes);
* ``code(n)``  letters, digits and ``space _ . : # / @ -`` only (card numbers, coupon,
  store, region, tier and template codes, SKUs, external ids);
* ``token(n)`` URL-safe base64 and ``. : = + /`` (global ids, cursors, refresh tokens);
* ``json_object()`` a JSON object of at most 32 keys whose values are scalars or
  arrays of scalars (tier benefits).

``schema.input_check.InputRules`` (a schema extension) enforces them before execution.
``describe`` gives a rule's wording, appended to the argument's description in the
schema (and so in ``schema.graphql``) by ``document_rules``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CODE = re.compile(r"[0-9A-Za-z _.:#/@-]*")
_TOKEN = re.compile(r"[0-9A-Za-z_.:=+/-]*")


@dataclass(frozen=True)
class Rule:
    kind: str  # text | multiline | code | token | json
    max_length: int

    def problem(self, value: object) -> str | None:
        """What is wrong with ``value`` (None: nothing)."""
        if self.kind == "json":
            return _json_problem(value, self.max_length)
        if not isinstance(value, str):
            return None  # the scalar's own coercion already refused it
        if len(value) > self.max_length:
            return f"at most {self.max_length} characters"
        if self.kind == "code" and not _CODE.fullmatch(value):
            return "letters, digits and ' _.:#/@-' only"
        if self.kind == "token" and not _TOKEN.fullmatch(value):
            return "letters, digits and '_.:=+/-' only"
        pattern = _CONTROL_BUT_LINES if self.kind == "multiline" else _CONTROL
        if pattern.search(value):
            return "no control characters"
        return None

    def describe(self) -> str:
        return {
            "text": f"At most {self.max_length} characters, no control characters.",
            "multiline": f"At most {self.max_length} characters; line breaks allowed, "
            "no other control characters.",
            "code": f"At most {self.max_length} characters: letters, digits and ' _.:#/@-'.",
            "token": f"At most {self.max_length} characters: letters, digits and '_.:=+/-'.",
            "json": f"A JSON object of at most {self.max_length} keys; values are scalars "
            "or lists of scalars.",
        }[self.kind]


def text(n: int) -> Rule:
    return Rule("text", n)


def multiline(n: int) -> Rule:
    return Rule("multiline", n)


def code(n: int = 20) -> Rule:
    return Rule("code", n)


def token(n: int = 100) -> Rule:
    return Rule("token", n)


def json_object(keys: int = 32) -> Rule:
    return Rule("json", keys)


NAME = text(64)  # names of products, rewards, templates, campaigns (Chinese or not)

BY_NAME: dict[str, Rule] = {
    # people and sign-in
    "phone": text(32),  # the phone rules themselves answer INVALID_PHONE
    "email": text(254),  # RFC 5321's longest address
    "account": text(254),  # signInUnlock: a staff email or a partner client id
    "password": text(128),  # long enough for pass phrases, short enough to hash quickly
    "code": code(20),  # OTP codes, coupon codes, scan codes have their own override
    "refreshToken": token(200),
    "displayName": text(32),
    "query": text(64),  # the service desk's free search
    "reason": multiline(500),
    # codes
    "cardNumber": code(20),
    "scanCode": code(40),
    "storeCode": code(20),
    "homeStoreCode": code(20),
    "regionCode": code(20),
    "tierCode": code(20),
    "templateCode": code(20),
    "couponTemplateCode": code(20),
    "rewardCode": code(20),
    "couponCodes": code(20),
    "otherCouponCodes": code(20),
    "tiers": code(20),
    "stores": code(20),
    "sku": code(40),
    "giftSku": code(40),
    "includeSkus": code(40),
    "excludeSkus": code(40),
    "excludedSkus": code(40),
    "externalId": code(64),
    "identityExternalId": code(64),
    "orderExternalId": code(64),
    "refundExternalId": code(64),
    "requestId": code(64),
    "batchId": code(64),
    "kind": code(20),
    "stackingGroup": code(20),
    "tag": code(32),
    "clientEventId": code(40),  # feed events: room for the merge's "~<member id>" suffix
    # free text
    "name": NAME,
    "brand": NAME,
    "category": text(100),
    "categoryPath": text(100),
    "includeCategories": text(100),
    "excludeCategories": text(100),
    "excludedCategories": text(100),
    # the audit log's filters
    "action": code(64),
    "actor": text(254),
    "targetType": code(32),
    "targetId": token(100),
    # ids and cursors
    "id": token(100),
    "memberId": token(100),
    "memberIds": token(100),
    "identityId": token(100),
    "survivorId": token(100),
    "absorbedId": token(100),
    "mergeId": token(100),
    "after": token(100),
    "before": token(100),
    # ids other areas are adding (global ids of orders, coupons, rewards; lockouts)
    "ids": token(100),
    "orderId": token(100),
    "couponId": token(100),
    "rewardId": token(100),
    "productId": token(100),
    "templateId": token(100),
    "staffId": token(100),
    "itemId": token(100),  # FeedItem.id
    "clientId": token(64),  # PartnerApp.client_id holds 64
    # structured
    "benefits": json_object(32),
}

OVERRIDES: dict[str, Rule] = {
    "Query.memberByScanCode.code": code(40),  # 36 digits
    "Mutation.memberSignIn.code": code(8),
    "TierInput.code": code(16),
    "TierInput.name": text(32),
}


def rule_for(owner: str, field: str, name: str) -> Rule | None:
    """The rule of argument ``name`` of ``owner.field`` (``field`` empty for an input
    object's field ``owner.name``)."""
    coordinate = f"{owner}.{field}.{name}" if field else f"{owner}.{name}"
    return OVERRIDES.get(coordinate) or BY_NAME.get(name)


def _json_problem(value: object, max_keys: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        return "a JSON object"
    if len(value) > max_keys:
        return f"at most {max_keys} keys"
    for key, item in value.items():
        if len(key) > 64 or _CONTROL.search(key):
            return "keys of at most 64 characters, no control characters"
        items = item if isinstance(item, list) else [item]
        if len(items) > 100 or any(isinstance(i, (dict, list)) for i in items):
            return "values that are scalars or lists of at most 100 scalars"
        if any(isinstance(i, str) and (len(i) > 200 or _CONTROL.search(i)) for i in items):
            return "strings of at most 200 characters, no control characters"
    return None


def invalid_input(path: str, problem: str, nodes: object = None) -> GraphQLError:
    return GraphQLError(
        f"Input `{path}` is not valid: {problem}.",
        nodes,  # type: ignore[arg-type]
        extensions={"code": "INVALID_INPUT", "field": path},
    )


def walk_value(value: object, owner: str, field: str, name: str, path: str, gql_type: object):
    """Yield ``(path, problem)`` for every rule ``value`` breaks (``gql_type`` is the
    argument's or input field's GraphQL type)."""
    while isinstance(gql_type, GraphQLNonNull):
        gql_type = gql_type.of_type
    if value is None:
        return
    if isinstance(gql_type, GraphQLList):
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            yield from walk_value(item, owner, field, name, f"{path}.{i}", gql_type.of_type)
        return
    if isinstance(gql_type, GraphQLInputObjectType):
        if not isinstance(value, dict):
            return
        for fname, fdef in gql_type.fields.items():
            if fname in value:
                yield from walk_value(
                    value[fname], gql_type.name, "", fname, f"{path}.{fname}", fdef.type
                )
        return
    rule = rule_for(owner, field, name)
    if rule is not None and (problem := rule.problem(value)):
        yield path, problem


CHECKED_SCALARS = frozenset({"String", "ID", "JSON", "GlobalID"})


def uncovered(schema: object) -> Iterator[str]:
    """Coordinates of String, ID and JSON arguments and input fields without a rule."""
    for type_name, gql_type in schema.type_map.items():  # type: ignore[attr-defined]
        if type_name.startswith("__"):
            continue
        if isinstance(gql_type, GraphQLObjectType):
            for fname, fdef in gql_type.fields.items():
                for aname, arg in fdef.args.items():
                    if get_named_type(arg.type).name in CHECKED_SCALARS and not rule_for(
                        type_name, fname, aname
                    ):
                        yield f"{type_name}.{fname}.{aname}"
        elif isinstance(gql_type, GraphQLInputObjectType):
            for fname, fdef in gql_type.fields.items():
                if get_named_type(fdef.type).name in CHECKED_SCALARS and not rule_for(
                    type_name, "", fname
                ):
                    yield f"{type_name}.{fname}"


def document_rules(schema: GraphQLSchema) -> None:
    """Append each argument's and input field's rule to its description, so API users
    read it in introspection and in schema.graphql."""
    for type_name, gql_type in schema.type_map.items():
        if type_name.startswith("__"):
            continue
        if isinstance(gql_type, GraphQLObjectType):
            for fname, fdef in gql_type.fields.items():
                for aname, arg in fdef.args.items():
                    if rule := _rule_of(arg.type, type_name, fname, aname):
                        arg.description = _join(arg.description, rule.describe())
        elif isinstance(gql_type, GraphQLInputObjectType):
            for fname, fdef in gql_type.fields.items():
                if rule := _rule_of(fdef.type, type_name, "", fname):
                    fdef.description = _join(fdef.description, rule.describe())


def _rule_of(gql_type: object, owner: str, field: str, name: str) -> Rule | None:
    if get_named_type(gql_type).name not in CHECKED_SCALARS:  # type: ignore[arg-type]
        return None
    return rule_for(owner, field, name)


def _join(description: str | None, rule: str) -> str:
    if description and rule in description:  # built twice in one process (tests)
        return description
    return f"{description.rstrip()} {rule}" if description else rule
