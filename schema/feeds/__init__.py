"""Feeds: the member's ranked feed, their signals (dismiss, mute, preference, events)
and the staff feed report."""
