"""Finding an attendee at the door when the QR code is lost, through the search index (no Scan).

Door staff see what they need to recognise the person and let them in: name, ticket type, status,
whether they are inside on this list, and the `registration_id`, which the scan endpoint takes for a
manual admission (`{registration_id, type}`). Never a secret (SPEC §16): a ticket secret or a manage
secret in a door token's hands would be a ticket anyone at the gate could copy, or a cancel button.
Only organisers also see the email; answers never.
"""
from __future__ import annotations

from typing import Any

from chalicelib.checkin import lists, state
from chalicelib.common.errors import ValidationError
from chalicelib.registration import search
from chalicelib.storage.tables import Tables


def find(db: Tables, event_id: str, checkin_list: dict[str, Any], query: str | None,
         with_email: bool) -> list[dict[str, Any]]:
    """Registrations the list admits whose name (for organisers, also email) starts with the query,
    ignoring case and accents."""
    if len((query or "").strip()) < search.MIN_QUERY:
        raise ValidationError.field("q", "error.search.too_short", limit=search.MIN_QUERY)
    items = []
    for registration in search.find(db, event_id, query, by_email=with_email):  # type: ignore[arg-type]
        if not lists.admits(checkin_list, registration.ticket_type):
            continue
        ticket_state = state.all_lists(registration).get(checkin_list["id"])
        item = {"id": registration.id, "registration_id": registration.id, "name": registration.name,
                "ticket_type": registration.ticket_type, "status": registration.status,
                "inside": bool(ticket_state and ticket_state["inside"])}
        if with_email:
            item["email"] = registration.email
        items.append(item)
    return items
