"""An organiser's change to an event, and the waitlist move it may owe.

Raising a capacity or adding a ticket type can make room for people who wait: the PATCH's own
transaction records that debt (`events.patch`), and the request settles it at once, as a move that
frees a seat does (`registration.actions`).
"""
from __future__ import annotations

from typing import Any

from chalicelib.events import counters, events
from chalicelib.registration import waitlist
from chalicelib.storage.tables import Tables


def patch(db: Tables, event_id: str, changes: dict[str, Any], if_match: str | None = None) -> dict[str, Any]:
    """The event after the change, as its organisers see it (with `version`, for the ETag)."""
    event = events.patch(db, event_id, changes, if_match=if_match)
    waitlist.settle_after_commit(db, event_id)
    return events.full_view(event, counters.read(db, event_id))
