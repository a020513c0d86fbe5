"""A ticket's public URLs, for emails and pages.

Every link that opens the ticket holds its manage secret, never the QR's ticket secret (SPEC §16;
`tickets.secrets`). The cancel link opens the ticket page at its cancel button (`/t/{manage}#cancel`).
It does not point at `POST /api/tickets/{manage}/cancel`, because a link in an email can only GET,
and mail scanners and link previews follow GETs: no GET may cancel a registration. The attendee
confirms on the page, and the page sends the POST. The calendar entry links the event's page, so a
calendar that is shared or synced carries no secret.

Secrets are base32 (A-Z, 2-7), which is safe in a URL path as it is.
"""
from __future__ import annotations


def ticket_links(public_base_url: str, manage_secret: str, event_id: str) -> dict[str, str]:
    base = public_base_url.rstrip("/")
    return {
        "ticket": f"{base}/t/{manage_secret}",
        "cancel": f"{base}/t/{manage_secret}#cancel",
        "calendar": f"{base}/api/tickets/{manage_secret}/calendar.ics",
        "event": event_link(base, event_id),
    }


def event_link(public_base_url: str, event_id: str) -> str:
    """The event's public page, `/e/{id}` (event ids are slugs: safe in a path as they are)."""
    return f"{public_base_url.rstrip('/')}/e/{event_id}"
