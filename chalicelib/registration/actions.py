"""The registration use cases the API offers: an organiser's move or resend, an attendee's own cancel.

A move that frees a seat lets the waitlist move at once, in the same request (`waitlist`); the views
returned are read after that, so they show the registration as it now is.
"""
from __future__ import annotations

from typing import Any

from chalicelib.registration import moves, waitlist
from chalicelib.storage.models import Registration
from chalicelib.storage.tables import Tables
from chalicelib.tickets import lookup


def perform(db: Tables, event_id: str, registration_id: str, move: str) -> Registration:
    """`resend`, or a move of `moves.MOVES` (404 for any other)."""
    if move == "resend":
        return moves.resend(db, event_id, registration_id)
    return apply(db, event_id, registration_id, move)


def apply(db: Tables, event_id: str, registration_id: str, move: str) -> Registration:
    if moves.apply_move(db, event_id, registration_id, move):
        waitlist.settle_after_commit(db, event_id)
    return moves.get(db, event_id, registration_id)


def cancel_by_secret(db: Tables, secret: str) -> dict[str, Any]:
    """The attendee's cancel from their ticket page: the ticket's view afterwards."""
    registration, _ = lookup.find(db, secret)
    apply(db, registration.event_id, registration.id, "cancel")
    return lookup.ticket_view(*lookup.find(db, secret))
