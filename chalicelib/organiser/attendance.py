"""The organiser's live attendance figures, read from counter items only (SPEC §10: constant cost).

A few reads whatever the number of attendees: the event (time zone, ticket types), its registration
counters (one BatchGetItem of its shards: counts by status and ticket type, and `arrived`, tickets
that entered on any list), one Query of its check-in lists, and the lists' counter shards (written by
the scans' own transactions, see `chalicelib.checkin.counts`; one BatchGetItem per 12 lists).
Nothing is counted by reading registrations or scans.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.checkin import counts as door_counts
from chalicelib.checkin import lists
from chalicelib.events import counters, events
from chalicelib.storage.tables import Tables

_ARRIVALS = "arrivals__"


def report(db: Tables, event_id: str) -> dict[str, Any]:
    """`{registrations, lists, no_show, arrivals, offline_conflicts}` for the event; 404 if it does not exist."""
    event = events.load(db, event_id)
    registered = counters.read(db, event_id)
    checkin_lists = sorted((lists.view(record) for record in db.CheckinList.query(event_id, consistent_read=True)),
                           key=lambda found: (found["created_at"], found["id"]))
    by_list = door_counts.read_many(db, event_id, [found["id"] for found in checkin_lists])
    doors = [by_list[found["id"]] for found in checkin_lists]
    return {
        "registrations": {status: registered.get(status, 0) for status in counters.STATUSES},
        "lists": [_list_figures(event, found, registered, door) for found, door in zip(checkin_lists, doors)],
        "no_show": max(0, registered.get("confirmed", 0) - registered.get("arrived", 0)),
        "arrivals": _arrivals(doors, event["timezone"]),
        "offline_conflicts": sum(door.get("offline_conflicts", 0) for door in doors),
    }


def _list_figures(event: dict[str, Any], checkin_list: dict[str, Any], registered: dict[str, int],
                  door: dict[str, int]) -> dict[str, Any]:
    """One list's row: its id and name, then the same figures its door status shows."""
    return {"id": checkin_list["id"], "name": checkin_list["name"],
            **door_counts.figures(event, checkin_list, registered, door)}


def _arrivals(doors: list[dict[str, int]], timezone: str) -> list[dict[str, Any]]:
    """Entries per hour summed over lists, each hour as ISO 8601 with the event's offset at that hour."""
    totals: dict[str, int] = {}
    for door in doors:
        for name, value in door.items():
            if name.startswith(_ARRIVALS):
                hour = name.removeprefix(_ARRIVALS)
                totals[hour] = totals.get(hour, 0) + value
    zone = ZoneInfo(timezone)
    return [{"hour": datetime.strptime(hour, "%Y%m%d%H").replace(tzinfo=zone).isoformat(), "entries": entries}
            for hour, entries in sorted(totals.items())]

