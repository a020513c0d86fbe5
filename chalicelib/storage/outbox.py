"""Work owed after a change, recorded in the same transaction as the change that owes it: emails to
attendees, and the waitlist promotion an event is owed once a seat is freed.

Writing the work as an item beside the registration (the transactional-outbox pattern) means it is
never done for a write that failed and never lost for one that succeeded: the delivery pipeline
(`chalicelib/mail/pipeline.py`) picks pending messages up from the sparse `by_due` index, and
`chalicelib/registration/waitlist.py` the owed promotions from their own partition of it.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.common import clock
from chalicelib.common.config import settings
from chalicelib.common.ids import new_id
from chalicelib.storage.models import OutboxMessage, OwedPromotion, Registration
from chalicelib.storage.tables import Tables

PENDING = "pending"
PROMOTION_PREFIX = "waitlist#"
# The request that freed the seat settles its own promotion at once; the workers take over an owed
# promotion only after this grace, when that request has evidently died (or the waitlist lagged).
PROMOTION_GRACE_SECONDS = 2
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


def message(db: Tables, registration_id: str, event_id: str, kind: str) -> OutboxMessage:
    now = clock.iso(clock.now())
    return db.OutboxMessage(new_id("m"), registration_id=registration_id, event_id=event_id, kind=kind,
                         queue=settings().outbox_queue, due_at=now, state=PENDING, attempts=0, created_at=now)


def queued(message: OutboxMessage) -> list[Any]:
    """Update actions for the registration a message is queued for, in the message's transaction:
    its `email_status` is "queued" and belongs to this message from now on (the pipeline records a
    delivery's outcome only while the registration's `email_message` is still that message's id)."""
    return [Registration.email_status.set("queued"), Registration.email_message.set(message.id)]


def promotion_owed(db: Tables, event_id: str) -> OwedPromotion:
    """The record that the event's waitlist must move, to put in the transaction that freed a seat."""
    due = clock.now() + timedelta(seconds=PROMOTION_GRACE_SECONDS)
    return db.OwedPromotion(promotion_key(event_id), event_id=event_id, queue=promotion_queue(),
                         due_at=clock.iso(due), token=new_id())


def promotion_key(event_id: str) -> str:
    return f"{PROMOTION_PREFIX}{event_id}"


def promotion_queue() -> str:
    return f"{settings().outbox_queue}#waitlist"


def is_email(item_id: str) -> bool:
    """Whether an outbox item is an email (and not an owed promotion), e.g. in the table's stream."""
    return not item_id.startswith(PROMOTION_PREFIX)
