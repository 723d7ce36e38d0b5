"""The feeds area's store, one module per user of it: ``build`` (the nightly rebuild and
the order-time refresh write the read model), ``serve`` (the feed reads it) and
``signals`` (the member's dismissals, mutes, preference, events). Only these modules
import ``domain.feeds.tables``."""
