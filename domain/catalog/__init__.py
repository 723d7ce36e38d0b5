"""catalog area."""
