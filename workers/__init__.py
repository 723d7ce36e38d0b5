"""Asynchronous work: Dramatiq actors, the outbox relay and the scheduler."""
