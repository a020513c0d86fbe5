"""Erasing one registration's personal data (KVKK/GDPR), on request or when the event's retention ends.

Personal data lives in four kinds of item: the registration (name, email, email key, answers, and
the last delivery error, which may quote the address), its search entries (folded name words and
email, in their sort keys), its email-uniqueness claim (the email key in its key) and its
idempotency claim (whose stored 201 answer repeats name and email).
All of them change in ONE transaction, so no reader ever sees a half-erased registration and a
failure leaves everything as it was. The search terms are recomputed from the name and email
before they are blanked, because they are the only way to find the entries again without a Scan.

What is kept: id, status, ticket type, language, times, email delivery state and check-in state,
so counts, attendance and the check-in audit trail stay true. Counters are not touched. The
idempotency claim is deleted outright rather than left to DynamoDB's TTL, which deletes lazily.
Pending outbox messages are not deleted here; the mail pipeline reads the registration when it
sends and skips an `erased` one.
"""
from __future__ import annotations

from chalicelib.common import clock
from chalicelib.common.errors import Conflict, InvalidState
from chalicelib.events import events
from chalicelib.registration import moves, registering, search
from chalicelib.storage.models import Claim, Registration
from chalicelib.storage.tables import Tables
from chalicelib.storage.transaction import ConditionsFailed, Transaction

_ATTEMPTS = 4


# Statuses that hold a seat or a place in the queue: erasing one would keep a seat nobody can use
# (an erased ticket neither opens nor scans), so until the event ends it must be cancelled first.
ACTIVE = ("confirmed", "pending_approval", "waitlisted")


def erase(db: Tables, event_id: str, registration_id: str) -> None:
    """Erase the personal data of one registration; erasing an erased one is a no-op (404 if unknown).

    An active registration of an event that has not ended is refused (409 invalid_state): cancelling
    frees its seat, moves the waitlist and tells the attendee, then erasure takes the rest.
    """
    registration = moves.get(db, event_id, registration_id)
    if (registration.status in ACTIVE and not registration.erased
            and clock.parse_iso(events.load(db, event_id)["ends_at"]) > clock.now()):
        raise InvalidState("error.registration.erase_active")
    erase_registration(db, registration)


def erase_registration(db: Tables, registration: Registration) -> None:
    """Idempotent: a registration erased meanwhile (by a parallel request or run) is left alone.

    A claim may have moved on: the email claim is released when a registration is cancelled and
    may then belong to a newer registration with the same address, and an expired idempotency key
    may be reused. Each claim is therefore deleted only if it is absent or still this
    registration's; a claim found to belong to someone else is left out on the next attempt.
    """
    foreign: set[str] = set()
    for _ in range(_ATTEMPTS):
        if registration.erased:
            return
        try:
            _transaction(db, registration, foreign).commit()
            return
        except ConditionsFailed as failure:
            foreign |= failure.labels & {"email", "idempotency"}
            registration = db.Registration.get(registration.id, consistent_read=True)
    raise Conflict("error.registration.busy")


def _transaction(db: Tables, registration: Registration, foreign: set[str]) -> Transaction:
    tx = db.transaction()
    not_erased = Registration.erased.does_not_exist() | (Registration.erased == False)  # noqa: E712
    tx.update("registration", registration, [
        Registration.name.remove(), Registration.email.remove(), Registration.email_key.remove(),
        Registration.answers.remove(), Registration.idempotency_claim.remove(),
        Registration.email_error.remove(),  # a bounce message may quote the address
        Registration.email_claim.set(False),  # released here, so a later cancel has no claim to free
        Registration.erased.set(True), Registration.updated_at.set(clock.iso(clock.now())),
    ], condition=Registration.id.exists() & not_erased)
    for entry in search.entries(db, registration):
        tx.delete(f"search:{entry.term}", entry)
    owns_email = registration.email_claim and registration.email_key
    claims = {"email": registering.email_claim_key(registration) if owns_email else None,
              "idempotency": registration.idempotency_claim}
    for label, key in claims.items():
        if key and label not in foreign:
            tx.delete(label, db.Claim(key), condition=Claim.pk.does_not_exist() | (Claim.owner == registration.id))
    return tx
