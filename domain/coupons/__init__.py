"""coupons area."""
