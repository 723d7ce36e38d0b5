"""Permissions declared on fields (``permission_classes``), never decided in resolvers.

Every field names one rule of ``domain.auth.policy`` with ``Allow(rule)``; the rule says
who may call it and the denial is worded for the caller: an anonymous caller gets
``UNAUTHENTICATED`` ("Sign in first"), a member "Members cannot …", a partner the scope it
lacks (also in ``extensions.requiredScope``), staff the role that may not.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from strawberry.exceptions import StrawberryGraphQLError
from strawberry.permission import BasePermission

from domain.auth import policy
from domain.auth.model import Principal


def denied(rule: policy.Rule, viewer: Principal) -> StrawberryGraphQLError:
    """The GraphQL error telling ``viewer`` why ``rule`` does not let them."""
    d = policy.denial(rule, viewer)
    extensions: dict[str, object] = {"code": d.code}
    if d.required_scopes:
        extensions["requiredScope"] = " ".join(d.required_scopes)
    return StrawberryGraphQLError(d.message, extensions=extensions)


@cache
def Allow(rule: policy.Rule) -> type[BasePermission]:
    """The field permission of ``rule`` (one class per rule)."""

    class _Allow(BasePermission):
        message = rule.action

        def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
            viewer = info.context.viewer
            if rule.allows(viewer):
                return True
            raise denied(rule, viewer)

    _Allow.__name__ = _Allow.__qualname__ = f"Allow({rule.action})"
    return _Allow


# The two rules other areas use most, by their usual names.
IsAuthenticated = Allow(policy.SIGNED_IN)
IsMember = Allow(policy.MEMBER_SELF)
