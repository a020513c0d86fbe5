"""From a ticket secret to its registration and event: what the ticket page and its routes show."""
from __future__ import annotations

from typing import Any

from chalicelib.common.errors import NotFound
from chalicelib.events import definition, events
from chalicelib.i18n import localized
from chalicelib.storage.models import Registration
from chalicelib.storage.tables import Tables
from chalicelib.tickets.issuing import verify
from chalicelib.tickets.secrets import InvalidTicket, parse_unverified


def find(db: Tables, secret: str) -> tuple[Registration, dict[str, Any]]:
    """The registration and event behind a genuine, current ticket; 404 for anything else.

    The secret names its registration; the signature is then checked against that registration's
    event, so a forged or altered code never reaches the attendee's data.
    """
    try:
        ref = parse_unverified(secret)
        registration = db.Registration.get(ref.registration_id, consistent_read=True)
        verify(secret, registration.event_id)
    except (InvalidTicket, Registration.DoesNotExist):
        raise NotFound("error.ticket.not_found") from None
    if registration.erased:
        raise NotFound("error.ticket.erased")
    if ref.revision != registration.revision:
        raise NotFound("error.ticket.replaced")
    return registration, events.load(db, registration.event_id)


def ticket_view(registration: Registration, event: dict[str, Any]) -> dict[str, Any]:
    ticket_type = definition.ticket_type(event, registration.ticket_type)
    return {
        "registration_id": registration.id,
        "status": registration.status,
        "name": registration.name,
        "ticket_type": {"id": ticket_type["id"], "name": ticket_type["name"],
                        "label": localized(ticket_type["name"], registration.language)},
        "language": registration.language,
        "event": {name: event.get(name) for name in
                  ("id", "name", "venue", "starts_at", "ends_at", "timezone", "status")},
    }
