"""events area."""
