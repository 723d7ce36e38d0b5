"""The feeds area's store: every statement on the feed tables, one module per use
(``serve``: the reads of the member's feed and ``Product.boughtTogether``)."""
