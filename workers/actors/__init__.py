"""One thin function per job; each takes ids and calls one domain service."""

from workers.actors.notifications import send_notification

ALL_ACTORS = [send_notification]
