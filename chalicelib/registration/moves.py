"""Moving a registration between statuses (approve, reject, cancel), and sending its message again.

Each move is one transaction: the registration's status under the condition that it is still the one
read, its counter shard, the email it owes, and, when it frees a seat, the record that the waitlist is
owed a move (`outbox.promotion_owed`), which `waitlist` settles.
"""
from __future__ import annotations

from typing import Any

from chalicelib.common import clock
from chalicelib.common.errors import Conflict, InvalidState, NotFound
from chalicelib.events import counters
from chalicelib.registration.registering import email_claim_key
from chalicelib.storage import outbox
from chalicelib.storage.models import Claim, Registration
from chalicelib.storage.tables import Tables
from chalicelib.storage.transaction import ConditionsFailed

# Which moves make sense from which status; anything else is 409 invalid_state.
MOVES = {
    "approve": ({"pending_approval"}, "confirmed", "approved"),
    "reject": ({"pending_approval", "waitlisted"}, "rejected", "rejected"),
    "cancel": ({"confirmed", "pending_approval", "waitlisted"}, "cancelled", "cancelled"),
}


def get(db: Tables, event_id: str, registration_id: str) -> Registration:
    try:
        registration = db.Registration.get(registration_id, consistent_read=True)
    except Registration.DoesNotExist:
        registration = None
    if registration is None or registration.event_id != event_id:
        raise NotFound("error.registration.not_found")
    return registration


def apply_move(db: Tables, event_id: str, registration_id: str, move: str) -> bool:
    """Approve, reject or cancel; cancelling an already cancelled registration changes nothing.
    Returns whether the move freed a seat (the caller lets the waitlist move: `actions`)."""
    if move not in MOVES:
        raise NotFound("error.route.not_found")
    allowed_from, new_status, kind = MOVES[move]
    for _ in range(5):
        registration = get(db, event_id, registration_id)
        if move == "cancel" and registration.status == "cancelled":
            return False
        if registration.status not in allowed_from or registration.erased:
            raise InvalidState("error.registration.invalid_move", params={"move": move, "status": registration.status})
        try:
            move_to(db, registration, new_status, kind)
        except ConditionsFailed:
            continue  # it changed under us; look again
        return frees_seat(registration.status, new_status)
    raise Conflict("error.registration.busy")


def resend(db: Tables, event_id: str, registration_id: str) -> Registration:
    """Queue the message for the registration's current status again (the ticket, if confirmed)."""
    registration = get(db, event_id, registration_id)
    if registration.erased:
        raise InvalidState("error.registration.erased")
    message = outbox.message(db, registration.id, event_id, outbox.KIND_FOR_STATUS[registration.status])
    tx = db.transaction()
    tx.update("registration", registration,
              [*outbox.queued(message), Registration.updated_at.set(clock.iso(clock.now()))],
              condition=Registration.id.exists())
    tx.put("outbox", message)
    tx.commit()
    return get(db, event_id, registration_id)


def move_to(db: Tables, registration: Registration, new_status: str, kind: str,
            room_event: dict[str, Any] | None = None) -> None:
    """One move's transaction, conditional on the status read; with `room_event`, the move also takes
    a seat (a promotion), or fails with the label "counts" when there is none."""
    old_status = registration.status
    now = clock.iso(clock.now())
    message = outbox.message(db, registration.id, registration.event_id, kind)
    tx = db.transaction()
    tx.update("registration", registration, [
        Registration.status.set(new_status),
        Registration.event_status.set(f"{registration.event_id}#{new_status}"),
        Registration.updated_at.set(now),
        *outbox.queued(message),
    ], condition=Registration.status == old_status)
    seat = None
    if room_event is not None:
        seat = counters.find_room(db, room_event, registration.ticket_type, False)
        if seat is None:
            raise ConditionsFailed({"counts"})
    counters.stage(db, tx, "counts", registration.event_id, registration.ticket_type, old_status, new_status,
                   seat=seat)
    tx.put("outbox", message)
    if frees_seat(old_status, new_status):
        tx.put("waitlist", outbox.promotion_owed(db, registration.event_id))
    if registration.email_claim and new_status in ("cancelled", "rejected"):
        tx.delete("email", db.Claim(email_claim_key(registration)), condition=Claim.owner == registration.id)
    tx.commit()


def frees_seat(old_status: str, new_status: str) -> bool:
    return old_status in counters.HOLDS_SEAT and new_status not in counters.HOLDS_SEAT
