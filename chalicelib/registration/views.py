"""What a registration looks like to its registrant and to the event's organisers."""
from __future__ import annotations

from typing import Any

from chalicelib.storage.models import Registration


def attendee_view(registration: Registration) -> dict[str, Any]:
    """What the registrant sees in the 201 answer: no answers echoed, no ticket (that goes by email)."""
    return {"id": registration.id, "event_id": registration.event_id, "status": registration.status,
            "ticket_type": registration.ticket_type, "name": registration.name,
            "email": registration.email, "language": registration.language,
            "created_at": registration.created_at, "email_status": registration.email_status}


def organiser_view(registration: Registration) -> dict[str, Any]:
    return {**attendee_view(registration), "answers": registration.answers or {},
            "consent": registration.consent_at is not None, "consent_at": registration.consent_at,
            "updated_at": registration.updated_at, "email_attempts": registration.email_attempts,
            "email_error": registration.email_error, "erased": registration.erased,
            "checkins": registration.checkins.as_dict() if registration.checkins else {}}  # type: ignore[no-untyped-call]
