"""From a manage secret to its registration and event: what the ticket page and its routes show.

Only a manage secret opens the page and its routes (SPEC §16); a ticket secret, the QR code's text,
gets the same 404 as a forged code. Its tag is checked from the secret alone, before anything is read.

Tickets issued before manage secrets existed (the registration has no `manage_links`) had one secret,
the QR's, and it is still the ticket page link in their attendees' inboxes. Until their event ends
that secret keeps opening the page, cancelling and drawing its QR code; afterwards it gets the 404.
A ticket secret's signature covers the event id, which it does not carry, so on that path the
registration's event id is read first (a point read of three attributes, no personal data), the
signature is checked, and only then is the registration read. A reissue issues a manage secret and
ends the old path for that ticket. The README's "Security" section states the trade-off.
"""
from __future__ import annotations

from typing import Any

from chalicelib.common import clock
from chalicelib.common.errors import NotFound
from chalicelib.events import definition, events
from chalicelib.i18n import localized
from chalicelib.storage.models import Registration
from chalicelib.storage.tables import Tables
from chalicelib.tickets.calendar import event_ics
from chalicelib.tickets.issuing import secret_for, verify, verify_manage
from chalicelib.tickets.links import event_link
from chalicelib.tickets.qr import qr_png
from chalicelib.tickets.secrets import InvalidTicket, TicketRef, parse_unverified

_LEGACY_HEAD: list[Any] = [Registration.id, Registration.event_id, Registration.manage_links]


def find(db: Tables, secret: str) -> tuple[Registration, dict[str, Any]]:
    """The registration and event behind a genuine, current manage secret (or a ticket secret issued
    before manage secrets, until its event ends); 404 for anything else."""
    try:
        ref = verify_manage(secret)
    except InvalidTicket:
        return _find_legacy(db, secret)
    registration = _current(db, ref)
    return registration, events.load(db, registration.event_id)


def qr(db: Tables, secret: str) -> bytes:
    """The QR code of the ticket a manage secret opens: it draws the ticket secret, never the manage secret."""
    registration, _ = find(db, secret)
    return qr_png(secret_for(registration))


def calendar_file(db: Tables, secret: str, public_url: str) -> bytes:
    """The ticket's calendar entry. It holds no secret: its link is the event's page."""
    registration, event = find(db, secret)
    return event_ics(event, registration.id, event_link(public_url, event["id"]), registration.language)


def _find_legacy(db: Tables, secret: str) -> tuple[Registration, dict[str, Any]]:
    try:
        ref = parse_unverified(secret)
        head = db.Registration.get(ref.registration_id, consistent_read=True, attributes_to_get=_LEGACY_HEAD)
        verify(secret, head.event_id)
    except (InvalidTicket, Registration.DoesNotExist):
        raise NotFound("error.ticket.not_found") from None
    if head.manage_links:  # the QR of a ticket that has a manage secret: it admits at the door, nothing else
        raise NotFound("error.ticket.not_found")
    registration = _current(db, ref)
    event = events.load(db, registration.event_id)
    if clock.parse_iso(event["ends_at"]) <= clock.now():
        raise NotFound("error.ticket.not_found")
    return registration, event


def _current(db: Tables, ref: TicketRef) -> Registration:
    try:
        registration = db.Registration.get(ref.registration_id, consistent_read=True)
    except Registration.DoesNotExist:
        raise NotFound("error.ticket.not_found") from None
    if registration.erased:
        raise NotFound("error.ticket.erased")
    if ref.revision != registration.revision:
        raise NotFound("error.ticket.replaced")
    return registration


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
