"""Every statement on the feed tables (only this package imports ``domain.feeds.tables``):
``build`` for the nightly rebuild and the order-time refresh, ``serve`` for the feed read,
``signals`` for the member's dismissals, mutes, preference and events."""
