"""Emails owed to attendees, recorded in the same transaction as the change that owes them.

Writing the message as an item beside the registration (the transactional-outbox pattern) means an
email is never sent for a write that failed and never lost for one that succeeded: the delivery
pipeline (`chalicelib/mail/pipeline.py`) picks pending messages up from the sparse `by_due` index.
"""
from __future__ import annotations

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.ids import new_id
from chalicelib.storage.models import OutboxMessage

PENDING = "pending"
# Messages wait in the `by_due` partition named by KAPI_OUTBOX_QUEUE ("pending" unless set), so that
# workers of two processes sharing tables (the test suite and its local run) never take each other's.

# The message each registration status change owes the attendee.
KIND_FOR_STATUS = {
    "confirmed": "confirmed",
    "waitlisted": "waitlisted",
    "pending_approval": "pending_approval",
    "rejected": "rejected",
    "cancelled": "cancelled",
}


def message(registration_id: str, event_id: str, kind: str) -> OutboxMessage:
    now = clock.iso(clock.now())
    return OutboxMessage(new_id("m"), registration_id=registration_id, event_id=event_id, kind=kind,
                         queue=settings().outbox_queue, due_at=now, state=PENDING, attempts=0, created_at=now)
