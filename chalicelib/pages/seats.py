"""Room left, in words, for the event list and the registration page's ticket choice.

Seats left are the smaller of the event's and the ticket type's room (`counters.available`); an
unlimited type says only that places are available. A full type with a waiting list says so,
since registering still makes sense.
"""
from __future__ import annotations

from typing import Any

from chalicelib.common import clock
from chalicelib.events import counters, events
from chalicelib.i18n import translate


def event_seats(event: dict[str, Any], counts: dict[str, int], language: str) -> str:
    """The event as a whole: closed, not open yet, or the room left in all its ticket types."""
    if not events.registration_open(event):
        opens = event.get("registration_opens_at")
        waiting = event["status"] == "published" and opens and clock.parse_iso(opens) > clock.now()
        return translate("form.seats.not_yet" if waiting else "form.seats.closed", language)
    return _room(counters.available_in_all(event, counts), event["waitlist"], language)


def ticket_seats(event: dict[str, Any], rooms_left: dict[str, int | None], ticket_type: str, language: str) -> str:
    return _room(rooms_left.get(ticket_type), event["waitlist"], language)


def sold_out(event: dict[str, Any], rooms_left: dict[str, int | None], ticket_type: str) -> bool:
    """Nothing left to register for: no seat and no waiting list."""
    return rooms_left.get(ticket_type, 1) == 0 and not event["waitlist"]


def _room(left: int | None, waitlist: bool, language: str) -> str:
    if left is None:
        return translate("form.seats.open", language)
    if left > 0:
        return translate("form.seats.one" if left == 1 else "form.seats.other", language, count=left)
    return translate("form.seats.waitlist" if waitlist else "form.seats.full", language)
