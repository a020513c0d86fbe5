"""A ticket's public URLs, for emails and pages.

The cancel link opens the ticket page at its cancel button (`/t/{secret}#cancel`). It does not
point at `POST /api/tickets/{secret}/cancel`, because a link in an email can only GET, and mail
scanners and link previews follow GETs: no GET may cancel a registration. The attendee confirms
on the page, and the page sends the POST.

Secrets are base32 (A-Z, 2-7), which is safe in a URL path as it is.
"""
from __future__ import annotations


def ticket_links(public_base_url: str, secret: str) -> dict[str, str]:
    base = public_base_url.rstrip("/")
    return {
        "ticket": f"{base}/t/{secret}",
        "cancel": f"{base}/t/{secret}#cancel",
        "calendar": f"{base}/api/tickets/{secret}/calendar.ics",
    }
