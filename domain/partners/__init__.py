"""partners area."""
