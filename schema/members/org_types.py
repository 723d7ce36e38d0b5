"""The chain's organisation as members' types show it: a member's region and home store."""

from __future__ import annotations

import strawberry

from domain.org.model import StoreChannel as _StoreChannel

StoreChannel = strawberry.enum(_StoreChannel, description="A store, or an online shop.")


@strawberry.type(description="A region of the chain.")
class Region:
    code: str
    name: str


@strawberry.type(description="A store (or an online shop) of the chain.")
class Store:
    code: str
    name: str
    channel: StoreChannel
    region: Region
