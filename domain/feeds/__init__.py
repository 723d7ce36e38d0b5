"""Personalised feeds and recommendations: the nightly read model (item neighbours,
association rules, popularity, each member's candidates), serving it ranked and
explained, and the member's signals (dismissals, mutes, preferences, events)."""
