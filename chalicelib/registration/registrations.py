"""Registering attendees and moving registrations between statuses.

Every change is one DynamoDB transaction holding the registration, its counter shard (with the seat
condition, see `counters`), the email it owes (outbox), and where relevant the email-uniqueness claim,
the idempotency record and the rate-limit window. Conditions, not reads, decide races: 60 people
racing for 10 seats get 10 confirmations because every other transaction's seat condition fails; a
read of the shards only chooses where to try next.
A change that frees a seat also records, in its transaction, that the waitlist is owed a move.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass

from pynamodb.exceptions import DeleteError, PynamoDBException

from chalicelib.registration import applicants
from chalicelib.common import clock
from chalicelib.events import counters
from chalicelib.events import events
from chalicelib.storage import outbox
from chalicelib.registration import search
from chalicelib.common.errors import (AlreadyRegistered, Conflict, FieldError, InvalidState, NotFound,
                               RateLimited, RegistrationClosed, ServiceUnavailable, SoldOut, ValidationError)
from chalicelib.common.ids import new_registration_id
from chalicelib.storage.models import Claim, OwedPromotion, Registration
from chalicelib.storage.transaction import ConditionsFailed, Transaction
from chalicelib.common.text import is_printable_ascii

log = logging.getLogger("kapi")

IDEMPOTENCY_SECONDS = 24 * 3600
MAX_IDEMPOTENCY_KEY = 200  # characters
SEAT_ATTEMPTS = 8  # tries at a seat (each after a read showing one) before answering 503
RATE_WINDOW_SECONDS = 60
INDEX_CATCH_UP_TRIES, INDEX_CATCH_UP_SECONDS = 10, 0.1


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict


def register(event_id: str, body: dict, *, client_key: str, rate_limit: int,
             idempotency_key: str | None = None) -> Outcome:
    event = events.load_visible(event_id)
    body_hash = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    if idempotency_key is not None:
        _check_idempotency_key(idempotency_key)
        replay = _replay(event_id, idempotency_key, body_hash)
        if replay:
            return replay
    if not events.registration_open(event):
        raise RegistrationClosed()
    applicant = applicants.parse(event, body)
    status = "pending_approval" if event["requires_approval"] else "confirmed"
    seat = counters.first_try(event, applicant.ticket_type, event["waitlist"])
    for _ in range(SEAT_ATTEMPTS):
        registration = _new_registration(event, applicant, status)
        if idempotency_key is not None:
            registration.idempotency_claim = _idempotency_claim_key(event_id, idempotency_key)
        result = Outcome(201, attendee_view(registration))
        try:
            _registration_transaction(event, registration, result, body_hash, client_key, rate_limit,
                                      idempotency_key, seat).commit()
            return result
        except ConditionsFailed as failure:
            if "idempotency" in failure.labels:
                return _replay(event_id, idempotency_key, body_hash) or _replay_gone()
            if "rate" in failure.labels:
                raise RateLimited() from None
            if "email" in failure.labels:
                raise AlreadyRegistered(details=[FieldError("email", "error.email.already_registered")]) from None
            if "counts" not in failure.labels:
                raise
            if _ticket_type_removed(event_id, applicant.ticket_type):
                raise ValidationError.field("ticket_type", "error.ticket_type.unknown") from None
            if status == "waitlisted":
                raise
            seat = counters.find_room(event, applicant.ticket_type, event["waitlist"])
            if seat is not None:
                continue  # that shard ran out; this one had a seat a moment ago
            if not event["waitlist"]:
                raise SoldOut() from None
            status = "waitlisted"
    raise ServiceUnavailable()  # every shard that showed a seat was taken before we got there


def _ticket_type_removed(event_id: str, ticket_type: str) -> bool:
    """Whether the ticket type was removed after the event was read (the counters refused it)."""
    return ticket_type not in {t["id"] for t in events.load(event_id)["ticket_types"]}


def _new_registration(event: dict, applicant: applicants.Applicant, status: str) -> Registration:
    now = clock.iso(clock.now())
    registration_id = new_registration_id()
    return Registration(
        registration_id, event_id=event["id"], event_status=f"{event['id']}#{status}",
        created_key=f"{now}#{registration_id}", created_at=now, updated_at=now,
        ticket_type=applicant.ticket_type, status=status, name=applicant.name, email=applicant.email,
        email_key=applicant.email_key, language=applicant.language, answers=applicant.answers,
        consent_at=now, revision=0, email_status="queued", email_attempts=0, checkins={},
        email_claim=not event["allow_duplicate_emails"])


def _registration_transaction(event: dict, registration: Registration, result: Outcome, body_hash: str,
                              client_key: str, rate_limit: int, idempotency_key: str | None,
                              seat: counters.Seat) -> Transaction:
    tx = Transaction()
    message = outbox.message(registration.id, event["id"], outbox.KIND_FOR_STATUS[registration.status])
    registration.email_message = message.id
    tx.put("registration", registration, condition=Registration.id.does_not_exist())
    holds_seat = registration.status in counters.HOLDS_SEAT
    counters.stage(tx, "counts", event["id"], registration.ticket_type, None, registration.status,
                   seat=seat if holds_seat else None)
    tx.put("outbox", message)
    if registration.email_claim:
        tx.put("email", Claim(email_claim_key(registration), owner=registration.id),
               condition=Claim.pk.does_not_exist())
    for entry in search.entries(registration):
        tx.put(f"search:{entry.term}", entry)
    expires = int(clock.now().timestamp())
    if idempotency_key is not None:
        tx.put("idempotency", Claim(registration.idempotency_claim, owner=registration.id,
                                    body_hash=body_hash, response={"status": result.status, "body": result.body},
                                    expires_at=expires + IDEMPOTENCY_SECONDS),
               condition=Claim.pk.does_not_exist() | (Claim.expires_at < expires))
    if rate_limit > 0:
        window = expires // RATE_WINDOW_SECONDS
        tx.update("rate", Claim(f"rate#{client_key}#{window}"),
                  [Claim.count.add(1), Claim.expires_at.set(expires + 2 * RATE_WINDOW_SECONDS)],
                  condition=Claim.count.does_not_exist() | (Claim.count < rate_limit))
    return tx


def _check_idempotency_key(key: str) -> None:
    if not is_printable_ascii(key, MAX_IDEMPOTENCY_KEY):
        raise ValidationError.field("Idempotency-Key", "error.text.ascii", limit=MAX_IDEMPOTENCY_KEY)


def _replay(event_id: str, key: str | None, body_hash: str) -> Outcome | None:
    """The first response for this key, if a live one exists; 409 if the key came with another body."""
    try:
        claim = Claim.get(_idempotency_claim_key(event_id, key), consistent_read=True)
    except Claim.DoesNotExist:
        return None
    if claim.expires_at is not None and claim.expires_at < clock.now().timestamp():
        return None
    if claim.body_hash != body_hash:
        raise Conflict("error.idempotency_key.reused",
                       [FieldError("Idempotency-Key", "error.idempotency_key.reused")])
    return Outcome(claim.response["status"], claim.response["body"])


def _replay_gone() -> Outcome:
    raise Conflict("error.idempotency_key.in_progress")


def _idempotency_claim_key(event_id: str, key: str | None) -> str:
    return f"idem#{event_id}#{key}"


def email_claim_key(registration: Registration) -> str:
    return f"email#{registration.event_id}#{registration.email_key}"


# --- Organiser and attendee moves -------------------------------------------------------------

# Which moves make sense from which status; anything else is 409 invalid_state.
MOVES = {
    "approve": ({"pending_approval"}, "confirmed", "approved"),
    "reject": ({"pending_approval", "waitlisted"}, "rejected", "rejected"),
    "cancel": ({"confirmed", "pending_approval", "waitlisted"}, "cancelled", "cancelled"),
}


def get(event_id: str, registration_id: str) -> Registration:
    try:
        registration = Registration.get(registration_id, consistent_read=True)
    except Registration.DoesNotExist:
        registration = None
    if registration is None or registration.event_id != event_id:
        raise NotFound("error.registration.not_found")
    return registration


def apply_move(event_id: str, registration_id: str, move: str) -> Registration:
    """Approve, reject or cancel; cancelling an already cancelled registration changes nothing."""
    if move not in MOVES:
        raise NotFound("error.route.not_found")
    allowed_from, new_status, kind = MOVES[move]
    for _ in range(5):
        registration = get(event_id, registration_id)
        if move == "cancel" and registration.status == "cancelled":
            return registration
        if registration.status not in allowed_from or registration.erased:
            raise InvalidState("error.registration.invalid_move", params={"move": move, "status": registration.status})
        try:
            _move(registration, new_status, kind)
        except ConditionsFailed:
            continue  # it changed under us; look again
        if frees_seat(registration.status, new_status):
            settle_after_commit(event_id)
        return get(event_id, registration_id)
    raise Conflict("error.registration.busy")


def resend(event_id: str, registration_id: str) -> Registration:
    """Queue the message for the registration's current status again (the ticket, if confirmed)."""
    registration = get(event_id, registration_id)
    if registration.erased:
        raise InvalidState("error.registration.erased")
    message = outbox.message(registration.id, event_id, outbox.KIND_FOR_STATUS[registration.status])
    tx = Transaction()
    tx.update("registration", registration,
              [*outbox.queued(message), Registration.updated_at.set(clock.iso(clock.now()))],
              condition=Registration.id.exists())
    tx.put("outbox", message)
    tx.commit()
    return get(event_id, registration_id)


def _move(registration: Registration, new_status: str, kind: str, room_event: dict | None = None) -> None:
    old_status = registration.status
    now = clock.iso(clock.now())
    message = outbox.message(registration.id, registration.event_id, kind)
    tx = Transaction()
    tx.update("registration", registration, [
        Registration.status.set(new_status),
        Registration.event_status.set(f"{registration.event_id}#{new_status}"),
        Registration.updated_at.set(now),
        *outbox.queued(message),
    ], condition=Registration.status == old_status)
    seat = None
    if room_event is not None:
        seat = counters.find_room(room_event, registration.ticket_type, False)
        if seat is None:
            raise ConditionsFailed({"counts"})
    counters.stage(tx, "counts", registration.event_id, registration.ticket_type, old_status, new_status,
                   seat=seat)
    tx.put("outbox", message)
    if frees_seat(old_status, new_status):
        tx.put("waitlist", outbox.promotion_owed(registration.event_id))
    if registration.email_claim and new_status in ("cancelled", "rejected"):
        tx.delete("email", Claim(email_claim_key(registration)), condition=Claim.owner == registration.id)
    tx.commit()


def frees_seat(old_status: str, new_status: str) -> bool:
    return old_status in counters.HOLDS_SEAT and new_status not in counters.HOLDS_SEAT


def settle_after_commit(event_id: str) -> None:
    """The request's own attempt to move the waitlist after it freed a seat. The debt is durable, so a
    busy or failing store here must not turn the committed change into an error: the workers finish."""
    try:
        settle_promotion(event_id)
    except (ServiceUnavailable, PynamoDBException):
        log.warning(json.dumps({"msg": "owed waitlist promotion left to the workers"}))


def settle_promotion(event_id: str) -> int:
    """Move the waitlist if the event is owed a promotion, then strike the debt; returns how many moved.

    The debt (`outbox.promotion_owed`) was written by the transaction that freed the seat, so a crash
    anywhere before the strike leaves it for the workers (`chalicelib/registration/waitlist.py`), which call this
    again: promoting is conditional on each registration still waiting, so running twice moves and
    emails nobody twice. The debt stays while someone waits for a seat that is free (the waitlist
    index lagged behind the counters); it is struck only if no newer freeing rewrote it meanwhile.
    """
    try:
        owed = OwedPromotion.get(outbox.promotion_key(event_id), consistent_read=True)
    except OwedPromotion.DoesNotExist:
        return 0
    promoted = promote_waitlist(event_id)
    if counters.waiting_with_room(events.load(event_id), counters.read(event_id)):
        return promoted
    try:
        owed.delete(condition=OwedPromotion.token == owed.token)
    except DeleteError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    return promoted


def promote_waitlist(event_id: str) -> int:
    """Confirm waitlisted registrations, oldest first, while their ticket type has room."""
    event = events.load(event_id)
    full: set[str] = set()
    promoted = 0
    for registration in _waiting(event_id):
        if registration.ticket_type in full:
            continue
        try:
            _move(registration, "confirmed", "promoted", room_event=event)
            promoted += 1
        except ConditionsFailed as failure:
            if "counts" not in failure.labels:
                continue  # someone else moved this one
            full.add(registration.ticket_type)
            if event.get("capacity") is not None and counters.read(event_id).get("held", 0) >= event["capacity"]:
                break
    return promoted


def _waiting(event_id: str) -> list[Registration]:
    """The waitlisted registrations, oldest first, from the status index.

    DynamoDB updates an index after it acknowledges the write, so a registration waitlisted a moment
    ago can be missing from it; the counter item is exact. While the index shows fewer than the
    counter, it has not caught up yet: look again shortly (index lag is well under a second).
    """
    for _ in range(INDEX_CATCH_UP_TRIES):
        waiting = list(Registration.by_event_status.query(f"{event_id}#waitlisted"))
        if len(waiting) >= counters.read(event_id).get("waitlisted", 0):
            break
        time.sleep(INDEX_CATCH_UP_SECONDS)
    return waiting


# --- Views ------------------------------------------------------------------------------------

def attendee_view(registration: Registration) -> dict:
    """What the registrant sees in the 201 answer: no answers echoed, no ticket (that goes by email)."""
    return {"id": registration.id, "event_id": registration.event_id, "status": registration.status,
            "ticket_type": registration.ticket_type, "name": registration.name,
            "email": registration.email, "language": registration.language,
            "created_at": registration.created_at, "email_status": registration.email_status}


def organiser_view(registration: Registration) -> dict:
    return {**attendee_view(registration), "answers": registration.answers or {},
            "consent": registration.consent_at is not None, "consent_at": registration.consent_at,
            "updated_at": registration.updated_at, "email_attempts": registration.email_attempts,
            "email_error": registration.email_error, "erased": registration.erased,
            "checkins": registration.checkins.as_dict() if registration.checkins else {}}
