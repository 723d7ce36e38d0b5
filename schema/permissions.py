"""Permissions declared on fields (``permission_classes``), never decided in resolvers."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from domain.auth.model import PrincipalKind, Role


class IsAuthenticated(BasePermission):
    message = "Sign in first."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return info.context.viewer.kind is not PrincipalKind.ANONYMOUS


class IsMember(BasePermission):
    message = "Only a signed-in member can do this."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return info.context.viewer.kind is PrincipalKind.MEMBER


def StaffWith(*roles: Role) -> type[BasePermission]:
    """Staff holding one of ``roles`` (any staff role when none is given)."""

    class _StaffWith(BasePermission):
        message = "Your staff role does not allow this."
        error_extensions = {"code": "FORBIDDEN"}

        def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
            v = info.context.viewer
            return v.kind is PrincipalKind.STAFF and (not roles or v.role in roles)

    _StaffWith.__name__ = f"StaffWith({','.join(r.value for r in roles) or 'any'})"
    return _StaffWith


def PartnerScope(scope: str) -> type[BasePermission]:
    """A partner app whose token carries ``scope``."""

    class _PartnerScope(BasePermission):
        message = f"This needs the partner scope {scope}."
        error_extensions = {"code": "FORBIDDEN", "requiredScope": scope}

        def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
            v = info.context.viewer
            return v.kind is PrincipalKind.PARTNER and scope in v.scopes

    _PartnerScope.__name__ = f"PartnerScope({scope})"
    return _PartnerScope


def AnyOf(*perms: type[BasePermission]) -> type[BasePermission]:
    """Allowed if any of ``perms`` allows."""

    class _AnyOf(BasePermission):
        message = " / ".join(p.message or "" for p in perms)
        # keep what the alternatives say (e.g. the partner scope that would do)
        error_extensions = {k: v for p in perms for k, v in (p.error_extensions or {}).items()} | {
            "code": "FORBIDDEN"
        }

        def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
            return any(p().has_permission(source, info, **kwargs) for p in perms)

    return _AnyOf
