"""Feed fields. The feed hangs off the member (``me { feed }`` for the member, and
``member(id) { feed }`` for staff in scope) and ``boughtTogether`` off the product: both are
declared on those types (``schema/members/types.py``, ``schema/catalog/types.py``) through
the hooks of ``schema.feeds.types``, which the resolvers imported here install."""

from __future__ import annotations

from resolvers import feeds as _resolvers  # noqa: F401 (installs the feed hooks)
