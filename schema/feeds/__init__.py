"""Feeds: the member's ranked feed and products bought together."""
