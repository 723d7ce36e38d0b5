"""tiers area."""
