"""audit area: the append-only log of staff and partner actions."""
