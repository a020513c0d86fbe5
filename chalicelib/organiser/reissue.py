"""Reissuing a ticket (SPEC §5): a new secret replaces the old one, optionally for another ticket type.

An organiser's move on a registration, so it lives above what it uses: the registrations, the
tickets (which know nothing of it) and the door's counts.

The registration's `revision` goes up, so every scanner that asks the server refuses the old secret
as `revoked` (secrets carry their revision). The old secret is also recorded for the offline
bundle. A change of ticket type moves the registration counters (with the new type's capacity as
the condition) and the per-type door counts of every list the ticket was scanned on, and the seat
it leaves is owed to the old type's waitlist. All of it is one transaction, conditional on the
registration not having changed since it was read (including its door state, which a concurrent
scan would change). A confirmed attendee is sent the new ticket.
"""
from __future__ import annotations

from typing import Any

from pynamodb.expressions.operand import Path

from chalicelib.checkin import counts, state
from chalicelib.common import clock
from chalicelib.common.errors import Conflict, FieldError, InvalidState, SoldOut, ValidationError
from chalicelib.events import counters, events
from chalicelib.registration import moves, waitlist
from chalicelib.storage import outbox
from chalicelib.storage.models import Registration
from chalicelib.storage.tables import Tables
from chalicelib.storage.transaction import ConditionsFailed, Transaction
from chalicelib.tickets.issuing import secret_for
from chalicelib.tickets.secrets import MAX_REVISION

REISSUABLE = frozenset({"confirmed", "pending_approval", "waitlisted"})
FIELDS = ("ticket_type",)


def parse(body: dict[str, Any]) -> str | None:
    """The requested ticket type from a reissue body `{ticket_type?}` (None: keep the current one)."""
    unknown = [FieldError(name, "error.field.unknown") for name in body if name not in FIELDS]
    if unknown:
        raise ValidationError(details=unknown)
    ticket_type = body.get("ticket_type")
    if ticket_type is not None and not isinstance(ticket_type, str):
        raise ValidationError.field("ticket_type", "error.ticket_type.unknown")
    return ticket_type


def reissue(db: Tables, event_id: str, registration_id: str, ticket_type: str | None = None) -> Registration:
    event = events.load(db, event_id)
    registration = moves.get(db, event_id, registration_id)
    new_type = ticket_type or registration.ticket_type
    if new_type not in {t["id"] for t in event["ticket_types"]}:
        raise ValidationError.field("ticket_type", "error.ticket_type.unknown")
    if registration.status not in REISSUABLE or registration.erased:
        raise InvalidState("error.reissue.invalid_state", params={"status": registration.status})
    if registration.revision >= MAX_REVISION:
        raise InvalidState("error.reissue.exhausted")
    try:
        _transaction(db, event, registration, new_type).commit()
    except ConditionsFailed as failure:
        if "counts" in failure.labels:
            sold_out = FieldError("ticket_type", "error.ticket_type.sold_out", ticket_type=new_type)
            raise SoldOut(details=[sold_out]) from None
        raise Conflict("error.registration.busy") from None
    if new_type != registration.ticket_type and registration.status in counters.HOLDS_SEAT:
        waitlist.settle_after_commit(db, event_id)
    return moves.get(db, event_id, registration_id)


def _transaction(db: Tables, event: dict[str, Any], registration: Registration, new_type: str) -> Transaction:
    now = clock.iso(clock.now())
    old_type, status = registration.ticket_type, registration.status
    actions = [Registration.revision.set(registration.revision + 1), Registration.updated_at.set(now),
               Registration.manage_links.set(True)]  # the new ticket's emails link its manage secret
    condition = ((Registration.revision == registration.revision) & (Registration.status == status)
                 & (Registration.ticket_type == old_type))
    tx = db.transaction()
    if status == "confirmed":
        message = outbox.message(db, registration.id, event["id"], outbox.KIND_FOR_STATUS[status])
        actions += outbox.queued(message)
        tx.put("outbox", message)
    if new_type != old_type:
        if status in counters.HOLDS_SEAT:
            tx.put("waitlist", outbox.promotion_owed(db, event["id"]))
        actions.append(Registration.ticket_type.set(new_type))
        holds_seat = status in counters.HOLDS_SEAT
        seat = counters.find_room(db, event, new_type, False, event_wide=False) if holds_seat else None
        if status in counters.HOLDS_SEAT and seat is None:
            raise ConditionsFailed({"counts"})
        counters.stage(db, tx, "counts", event["id"], old_type, status, status, new_type, seat=seat)
        for list_id, ticket_state in state.all_lists(registration).items():
            condition &= Path(["checkins", list_id, "version"]) == ticket_state["version"]
            moved = counts.retype_actions(old_type, new_type, ticket_state)
            if moved:
                tx.update(f"list:{list_id}", counts.item(db, event["id"], list_id), moved)
    tx.update("registration", registration, actions, condition=condition)
    tx.put("revoked", db.RevokedSecret(event["id"], secret_for(registration), registration_id=registration.id,
                                    revision=registration.revision, revoked_at=now))
    return tx
