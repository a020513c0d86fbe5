"""Questions answered by an event's definition alone (its stored document), for the modules below
`events.events` that must not import it (the seat counters)."""
from __future__ import annotations

from typing import Any


def ticket_type(event: dict[str, Any], ticket_type_id: str) -> dict[str, Any]:
    """The event's definition of one of its ticket types (id, name map, optional capacity)."""
    return next(t for t in event["ticket_types"] if t["id"] == ticket_type_id)


def ticket_type_changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The ticket types an edit removes and those it adds."""
    old, new = ({t["id"] for t in doc["ticket_types"]} for doc in (before, after))
    return old - new, new - old
