"""The recommendation engine (pure: integer arrays in, models out), shared by the nightly
rebuild, the order-time refresh, serving's ranking and ``loyalty recs-evaluate``.

- ``Trainer`` streams chunks of ``Purchases`` (a chunk never splits a member) into
  products x products counts and finishes a ``GlobalModel``: association rules, item
  neighbours (cosine over members), popularity per store/region/chain, product stats.
- ``member_models`` turns each member's history into their ``MemberModel`` document
  (``member_docs``: the same documents already serialised, for the rebuild).
- ``blend`` is the production ranking; ``diversify`` caps categories at the top.
"""

from __future__ import annotations

from domain.feeds.engine_member import blend, diversify, due_ratio, member_models
from domain.feeds.engine_score import member_docs
from domain.feeds.engine_train import Trainer
from domain.feeds.engine_types import EngineParams, GlobalModel, ProductStat, Purchases, Rule

__all__ = [
    "EngineParams",
    "GlobalModel",
    "ProductStat",
    "Purchases",
    "Rule",
    "Trainer",
    "blend",
    "diversify",
    "due_ratio",
    "member_docs",
    "member_models",
]
