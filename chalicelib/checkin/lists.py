"""Check-in lists: creating and reading them, and the rules a list applies to a ticket.

A door scan may spend only one read, on the registration, so the list and its event come from a
per-process cache (`TTLCache`, KAPI_CACHE_SECONDS). Lists cannot be edited yet, so a cached list is
never stale; an event's timezone and ticket type names change rarely, and only arrivals-per-hour
bucketing and names use them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.common import clock
from chalicelib.common.cache import TTLCache
from chalicelib.common.errors import FieldError, NotFound, ValidationError
from chalicelib.common.ids import new_id
from chalicelib.events import events
from chalicelib.storage.models import CheckinList, Event
from chalicelib.storage.tables import Tables

MAX_NAME = 200
_FIELDS = ("name", "ticket_types", "allow_multiple_entries", "allow_entry_after_exit", "valid_from", "valid_until")
_lists = TTLCache()
_events = TTLCache()


def create(db: Tables, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Validate and store a new list of the event; 400 naming every bad field."""
    event = events.load(db, event_id)
    fields = _validate(event, body)
    record = db.CheckinList(event_id, new_id(), created_at=clock.iso(clock.now()), **fields)
    record.save(condition=CheckinList.id.does_not_exist())
    return view(record)


def all_for(db: Tables, event_id: str) -> list[dict[str, Any]]:
    events.load(db, event_id)  # 404 for an unknown event rather than an empty list
    return [view(record) for record in db.CheckinList.query(event_id)]


def get(db: Tables, event_id: str, list_id: str) -> dict[str, Any]:
    """The list, cached per process and stage; 404 if the event has no such list."""
    found: dict[str, Any] = _lists.get_or_load((db.prefix, event_id, list_id), lambda _: _load(db, (event_id, list_id)))
    return found


def event(db: Tables, event_id: str) -> dict[str, Any]:
    """The event, cached per process and stage like its lists."""
    doc: dict[str, Any] = _event_record(db, event_id).doc
    return doc


def scans_from(db: Tables, event_id: str) -> datetime:
    """The earliest time a scan of the event's tickets may carry (from the same cached record)."""
    return events.registrations_possible_from(_event_record(db, event_id))


def _event_record(db: Tables, event_id: str) -> Event:
    record: Event = _events.get_or_load((db.prefix, event_id), lambda _: events.load_record(db, event_id))
    return record


def door_events(db: Tables, scope: tuple[str, ...]) -> list[dict[str, Any]]:
    """The events a door token may scan, for the scanner's event picker: those in its scope, or every
    published event for a token scoped to all."""
    docs = [event(db, event_id) for event_id in scope] if scope else events.published(db)
    return [{name: doc[name] for name in ("id", "name", "starts_at", "ends_at", "timezone")}
            for doc in sorted(docs, key=lambda doc: (doc["starts_at"], doc["id"]))]


def _load(db: Tables, key: tuple[str, str]) -> dict[str, Any]:
    try:
        return view(db.CheckinList.get(*key, consistent_read=True))
    except CheckinList.DoesNotExist:
        raise NotFound("error.checkin_list.not_found") from None


def view(record: CheckinList) -> dict[str, Any]:
    return {"id": record.id, "event_id": record.event_id, "name": record.name,
            "ticket_types": list(record.ticket_types or []),
            "allow_multiple_entries": record.allow_multiple_entries,
            "allow_entry_after_exit": record.allow_entry_after_exit,
            "valid_from": record.valid_from, "valid_until": record.valid_until,
            "created_at": record.created_at}


def admits(checkin_list: dict[str, Any], ticket_type: str) -> bool:
    return not checkin_list["ticket_types"] or ticket_type in checkin_list["ticket_types"]


def admitted_types(checkin_list: dict[str, Any], event_doc: dict[str, Any]) -> list[str]:
    """The event's ticket type ids this list admits, in the event's order."""
    return [t["id"] for t in event_doc["ticket_types"] if admits(checkin_list, t["id"])]


def open_at(checkin_list: dict[str, Any], moment: datetime) -> bool:
    """Whether an entry at `moment` lies inside the list's validity window (both ends included)."""
    start, end = checkin_list["valid_from"], checkin_list["valid_until"]
    return (start is None or moment >= clock.parse_iso(start)) and (end is None or moment <= clock.parse_iso(end))


def _validate(event_doc: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    problems = [FieldError(name, "error.field.unknown") for name in sorted(set(body) - set(_FIELDS))]
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        problems.append(FieldError("name", "error.text.length", low=1, high=MAX_NAME))
    ticket_types = body.get("ticket_types", [])
    known = {t["id"] for t in event_doc["ticket_types"]}
    if not isinstance(ticket_types, list) or not all(isinstance(t, str) for t in ticket_types):
        problems.append(FieldError("ticket_types", "error.checkin_list.ticket_types"))
        ticket_types = []
    problems += [FieldError(f"ticket_types.{i}", "error.ticket_type.unknown")
                 for i, t in enumerate(ticket_types) if t not in known]
    for flag in ("allow_multiple_entries", "allow_entry_after_exit"):
        if flag in body and not isinstance(body[flag], bool):
            problems.append(FieldError(flag, "error.boolean"))
    window = {}
    for bound in ("valid_from", "valid_until"):
        value = body.get(bound)
        if value is None:
            continue
        try:
            if not isinstance(value, str):
                raise ValueError("not text")
            window[bound] = clock.parse_iso(value)
        except ValueError:
            problems.append(FieldError(bound, "error.time.invalid"))
    if window.get("valid_from") and window.get("valid_until") and window["valid_until"] <= window["valid_from"]:
        problems.append(FieldError("valid_until", "error.time.order", before="valid_from"))
    if problems:
        raise ValidationError("error.checkin_list.invalid", problems)
    return {"name": name.strip(), "ticket_types": list(dict.fromkeys(ticket_types)),  # type: ignore[union-attr]
            "allow_multiple_entries": body.get("allow_multiple_entries", False),
            "allow_entry_after_exit": body.get("allow_entry_after_exit", True),
            "valid_from": body.get("valid_from"), "valid_until": body.get("valid_until")}
