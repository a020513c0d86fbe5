"""Registering an attendee: one DynamoDB transaction per attempt.

The transaction holds the registration, its counter shard (with the seat condition, see `counters`),
the email it owes (outbox), and where relevant the email-uniqueness claim, the idempotency record and
the rate-limit window. Conditions, not reads, decide races: 60 people racing for 10 seats get 10
confirmations because every other transaction's seat condition fails; a read of the shards only
chooses where to try next.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.common import clock
from chalicelib.common.errors import (
    AlreadyRegistered,
    ApiError,
    Conflict,
    FieldError,
    RateLimited,
    RegistrationClosed,
    ServiceUnavailable,
    SoldOut,
    ValidationError,
)
from chalicelib.common.ids import new_registration_id
from chalicelib.common.text import is_printable_ascii
from chalicelib.events import counters, events
from chalicelib.registration import applicants, search
from chalicelib.registration.views import attendee_view
from chalicelib.storage import outbox
from chalicelib.storage.models import Claim, Registration
from chalicelib.storage.tables import Tables
from chalicelib.storage.transaction import ConditionsFailed, Transaction

IDEMPOTENCY_SECONDS = 24 * 3600
MAX_IDEMPOTENCY_KEY = 200  # characters
SEAT_ATTEMPTS = 8  # tries at a seat (each after a read showing one) before answering 503
RATE_WINDOW_SECONDS = 60
INDEX_CATCH_UP_TRIES, INDEX_CATCH_UP_SECONDS = 10, 0.1


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]


def register(db: Tables, event_id: str, body: dict[str, Any], *, client_key: str, rate_limit: int,
             idempotency_key: str | None = None) -> Outcome:
    """One attempt. A refusal (any 4xx: sold out, already registered, closed, unknown event, bad
    answers) counts toward the client's rate limit as a registration does, so the API is no free
    oracle (SPEC §16): once the window is spent, the refusal becomes a 429."""
    try:
        return _register(db, event_id, body, client_key, rate_limit, idempotency_key)
    except ApiError as refusal:
        if 400 <= refusal.status < 500 and refusal.status != 429 and rate_limit > 0:
            _count_refusal(db, client_key, rate_limit)
        raise


def _register(db: Tables, event_id: str, body: dict[str, Any], client_key: str, rate_limit: int,
              idempotency_key: str | None) -> Outcome:
    event = events.load_visible(db, event_id)
    body_hash = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    if idempotency_key is not None:
        _check_idempotency_key(idempotency_key)
        replay = _replay(db, event_id, idempotency_key, body_hash)
        if replay:
            return replay
    if not events.registration_open(event):
        raise RegistrationClosed()
    applicant = applicants.parse(event, body)
    status = "pending_approval" if event["requires_approval"] else "confirmed"
    seat = counters.first_try(event, applicant.ticket_type, event["waitlist"])
    for _ in range(SEAT_ATTEMPTS):
        registration = _new_registration(db, event, applicant, status)
        if idempotency_key is not None:
            registration.idempotency_claim = _idempotency_claim_key(event_id, idempotency_key)
        result = Outcome(201, attendee_view(registration))
        try:
            _registration_transaction(db, event, registration, result, body_hash, client_key, rate_limit,
                                      idempotency_key, seat).commit()
            return result
        except ConditionsFailed as failure:
            if "idempotency" in failure.labels:
                return _replay(db, event_id, idempotency_key, body_hash) or _replay_gone()
            if "rate" in failure.labels:
                raise RateLimited(retry_after=_seconds_left_in_rate_window()) from None
            if "email" in failure.labels:
                raise _taken(db, event, applicant.ticket_type, status) from None
            if "counts" not in failure.labels:
                raise
            if _ticket_type_removed(db, event_id, applicant.ticket_type):
                raise ValidationError.field("ticket_type", "error.ticket_type.unknown") from None
            if status == "waitlisted":
                raise
            seat = counters.find_room(db, event, applicant.ticket_type, event["waitlist"])  # type: ignore[assignment]
            if seat is not None:
                continue  # that shard ran out; this one had a seat a moment ago
            if not event["waitlist"]:
                raise SoldOut() from None
            status = "waitlisted"
    raise ServiceUnavailable()  # every shard that showed a seat was taken before we got there


def _taken(db: Tables, event: dict[str, Any], ticket_type: str, status: str) -> ApiError:
    """The refusal for an address already registered. Capacity first: on a full event without a waiting
    list it is `sold_out`, what a newcomer gets, so the answer does not tell who is registered (one
    read of the shards, on this path only)."""
    if status != "waitlisted" and not event["waitlist"] and counters.find_room(db, event, ticket_type, False) is None:
        return SoldOut()
    return AlreadyRegistered(details=[FieldError("email", "error.email.already_registered")])


def _count_refusal(db: Tables, client_key: str, rate_limit: int) -> None:
    """Count a refused attempt in the client's window; a 429 when the window is spent already."""
    now = int(clock.now().timestamp())
    try:
        db.Claim(_rate_key(client_key, now)).update(
            [Claim.count.add(1), Claim.expires_at.set(now + 2 * RATE_WINDOW_SECONDS)],
            condition=Claim.count.does_not_exist() | (Claim.count < rate_limit))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise RateLimited(retry_after=_seconds_left_in_rate_window()) from None


def _rate_key(client_key: str, now: int) -> str:
    return f"rate#{client_key}#{now // RATE_WINDOW_SECONDS}"


def _ticket_type_removed(db: Tables, event_id: str, ticket_type: str) -> bool:
    """Whether the ticket type was removed after the event was read (the counters refused it)."""
    return ticket_type not in {t["id"] for t in events.load(db, event_id)["ticket_types"]}


def _new_registration(db: Tables, event: dict[str, Any], applicant: applicants.Applicant, status: str) -> Registration:
    now = clock.iso(clock.now())
    registration_id = new_registration_id()
    return db.Registration(
        registration_id, event_id=event["id"], event_status=f"{event['id']}#{status}",
        created_key=f"{now}#{registration_id}", created_at=now, updated_at=now,
        ticket_type=applicant.ticket_type, status=status, name=applicant.name, email=applicant.email,
        email_key=applicant.email_key, language=applicant.language, answers=applicant.answers,
        consent_at=now, revision=0, manage_links=True, email_status="queued", email_attempts=0, checkins={},
        email_claim=not event["allow_duplicate_emails"])


def _registration_transaction(db: Tables, event: dict[str, Any], registration: Registration, result: Outcome,
                              body_hash: str, client_key: str, rate_limit: int, idempotency_key: str | None,
                              seat: counters.Seat) -> Transaction:
    tx = db.transaction()
    message = outbox.message(db, registration.id, event["id"], outbox.KIND_FOR_STATUS[registration.status])
    registration.email_message = message.id
    tx.put("registration", registration, condition=Registration.id.does_not_exist())
    holds_seat = registration.status in counters.HOLDS_SEAT
    counters.stage(db, tx, "counts", event["id"], registration.ticket_type, None, registration.status,
                   seat=seat if holds_seat else None)
    tx.put("outbox", message)
    if registration.email_claim:
        tx.put("email", db.Claim(email_claim_key(registration), owner=registration.id),
               condition=Claim.pk.does_not_exist())
    for entry in search.entries(db, registration):
        tx.put(f"search:{entry.term}", entry)
    expires = int(clock.now().timestamp())
    if idempotency_key is not None:
        tx.put("idempotency", db.Claim(registration.idempotency_claim, owner=registration.id,
                                    body_hash=body_hash, response={"status": result.status, "body": result.body},
                                    expires_at=expires + IDEMPOTENCY_SECONDS),
               condition=Claim.pk.does_not_exist() | (Claim.expires_at < expires))
    if rate_limit > 0:
        tx.update("rate", db.Claim(_rate_key(client_key, expires)),
                  [Claim.count.add(1), Claim.expires_at.set(expires + 2 * RATE_WINDOW_SECONDS)],
                  condition=Claim.count.does_not_exist() | (Claim.count < rate_limit))
    return tx


def _seconds_left_in_rate_window() -> int:
    """1 to the window's length: windows are whole multiples of it on the clock."""
    return RATE_WINDOW_SECONDS - int(clock.now().timestamp()) % RATE_WINDOW_SECONDS


def _check_idempotency_key(key: str) -> None:
    if not is_printable_ascii(key, MAX_IDEMPOTENCY_KEY):
        raise ValidationError.field("Idempotency-Key", "error.text.ascii", limit=MAX_IDEMPOTENCY_KEY)


def _replay(db: Tables, event_id: str, key: str | None, body_hash: str) -> Outcome | None:
    """The first response for this key, if a live one exists; 409 if the key came with another body."""
    try:
        claim = db.Claim.get(_idempotency_claim_key(event_id, key), consistent_read=True)
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
