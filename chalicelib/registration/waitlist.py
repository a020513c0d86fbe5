"""The waitlist: who moves up when a seat is freed, and settling the promotions an event is owed.

A change that frees a seat writes, in its own transaction, that the event's waitlist is owed a move
(`outbox.promotion_owed`). The request settles it right after its commit (`settle_after_commit`); if
it died in between, or the store was busy, the debt is found past its grace period by the local run's
worker thread and, in AWS, by the outbox stream (a new debt) and the minute schedule (`settle_due`,
`settle_stream_records`). Promoting is conditional on each registration still waiting, so settling
twice moves and emails nobody twice.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any

from pynamodb.exceptions import DeleteError, PynamoDBException

from chalicelib.common import clock
from chalicelib.common.errors import ServiceUnavailable
from chalicelib.events import counters, events
from chalicelib.registration import moves
from chalicelib.storage import outbox
from chalicelib.storage.models import OwedPromotion, Registration
from chalicelib.storage.tables import Tables
from chalicelib.storage.transaction import ConditionsFailed

INDEX_CATCH_UP_TRIES, INDEX_CATCH_UP_SECONDS = 10, 0.1

log = logging.getLogger("kapi")


def settle_due(db: Tables, limit: int = 50) -> int:
    """Settle up to `limit` owed promotions past their grace; one failing event never stops the rest."""
    due = list(db.OwedPromotion.by_due.query(outbox.promotion_queue(), OwedPromotion.due_at <= clock.iso(clock.now()),
                                          limit=limit))
    for owed in due:
        _settle_logged(db, owed.event_id)
    return len(due)


def settle_stream_records(db: Tables, records: list[dict[str, Any]]) -> None:
    """Owed promotions new in the outbox table's stream (the schedule retries any that fail here)."""
    for record in records:
        item_id = record.get("dynamodb", {}).get("Keys", {}).get("id", {}).get("S", "")
        if record.get("eventName") == "INSERT" and not outbox.is_email(item_id):
            _settle_logged(db, item_id.removeprefix(outbox.PROMOTION_PREFIX))


def _settle_logged(db: Tables, event_id: str) -> None:
    try:
        settle_promotion(db, event_id)
    except Exception:  # noqa: BLE001 - the debt stays; the next round tries again
        log.exception("owed waitlist promotion not settled")


def settle_after_commit(db: Tables, event_id: str) -> None:
    """The request's own attempt to move the waitlist after it freed a seat. The debt is durable, so a
    busy or failing store here must not turn the committed change into an error: the workers finish."""
    try:
        settle_promotion(db, event_id)
    except (ServiceUnavailable, PynamoDBException):
        log.warning(json.dumps({"msg": "owed waitlist promotion left to the workers"}))


def settle_promotion(db: Tables, event_id: str) -> int:
    """Move the waitlist if the event is owed a promotion, then strike the debt; returns how many moved.

    The debt (`outbox.promotion_owed`) was written by the transaction that freed the seat, so a crash
    anywhere before the strike leaves it for the workers (`chalicelib/registration/waitlist.py`), which call this
    again: promoting is conditional on each registration still waiting, so running twice moves and
    emails nobody twice. The debt stays while someone waits for a seat that is free (the waitlist
    index lagged behind the counters); it is struck only if no newer freeing rewrote it meanwhile.
    """
    try:
        owed = db.OwedPromotion.get(outbox.promotion_key(event_id), consistent_read=True)
    except OwedPromotion.DoesNotExist:
        return 0
    promoted = promote_waitlist(db, event_id)
    if counters.waiting_with_room(events.load(db, event_id), counters.read(db, event_id)):
        return promoted
    try:
        owed.delete(condition=OwedPromotion.token == owed.token)
    except DeleteError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    return promoted


def promote_waitlist(db: Tables, event_id: str) -> int:
    """Confirm waitlisted registrations, oldest first, while their ticket type has room."""
    event = events.load(db, event_id)
    full: set[str] = set()
    promoted = 0
    for registration in _waiting(db, event_id):
        if registration.ticket_type in full:
            continue
        try:
            moves.move_to(db, registration, "confirmed", "promoted", room_event=event)
            promoted += 1
        except ConditionsFailed as failure:
            if "counts" not in failure.labels:
                continue  # someone else moved this one
            full.add(registration.ticket_type)
            if event.get("capacity") is not None and counters.read(db, event_id).get("held", 0) >= event["capacity"]:
                break
    return promoted


def _waiting(db: Tables, event_id: str) -> list[Registration]:
    """The waitlisted registrations, oldest first, from the status index.

    DynamoDB updates an index after it acknowledges the write, so a registration waitlisted a moment
    ago can be missing from it; the counter item is exact. While the index shows fewer than the
    counter, it has not caught up yet: look again shortly (index lag is well under a second).
    """
    for _ in range(INDEX_CATCH_UP_TRIES):
        waiting = list(db.Registration.by_event_status.query(f"{event_id}#waitlisted"))
        if len(waiting) >= counters.read(db, event_id).get("waitlisted", 0):
            break
        time.sleep(INDEX_CATCH_UP_SECONDS)
    return waiting
