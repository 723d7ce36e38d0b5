"""points area: the ledger, lots, earning rules, rewards."""
