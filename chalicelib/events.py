"""Events: validation, storage, and the public and organiser views of them."""
from __future__ import annotations

import functools
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib import clock, counters, forms, outbox
from chalicelib.errors import Conflict, FieldError, NotFound, ServiceUnavailable, ValidationError
from chalicelib.storage.models import Event
from chalicelib.storage.transaction import ConditionsFailed, Transaction

DEFAULT_FORM = {"type": "object", "properties": {}, "additionalProperties": False}
DEFAULT_TICKET_TYPE = {"id": "general", "name": {"tr": "Genel", "az": "Ümumi", "en": "General"}}
DEFAULTS = {
    "description": None, "status": "draft", "registration_opens_at": None,
    "registration_closes_at": None, "capacity": None, "waitlist": False,
    "requires_approval": False, "allow_duplicate_emails": False, "retention_days": 180,
}
_RESIZE_ATTEMPTS = 5
PUBLIC_FIELDS = ("id", "name", "description", "venue", "starts_at", "ends_at", "timezone",
                 "languages", "status", "requires_approval", "form")


@functools.lru_cache(maxsize=1)
def _event_schema() -> dict:
    return json.loads((Path(__file__).parent / "schemas" / "event.json").read_text(encoding="utf-8"))


def validate_event(doc: dict) -> dict:
    """The event with defaults filled in, or a 400 naming every bad field."""
    problems = forms.validate(_event_schema(), doc, "")
    if problems:
        raise ValidationError("The event is not valid.", problems)
    event = {**DEFAULTS, **doc}
    event.setdefault("ticket_types", [dict(DEFAULT_TICKET_TYPE)])
    event.setdefault("languages", [lang for lang in ("tr", "az", "en") if lang in event["name"]])
    event.setdefault("form", dict(DEFAULT_FORM))
    problems = _semantic_problems(event)
    if problems:
        raise ValidationError("The event is not valid.", problems)
    return event


def _semantic_problems(event: dict) -> list[FieldError]:
    problems: list[FieldError] = []
    times: dict[str, datetime] = {}
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        if event.get(name) is None:
            continue
        try:
            times[name] = clock.parse_iso(event[name])
        except ValueError as error:
            problems.append(FieldError(name, f"not an ISO 8601 time with offset ({error})"))
    if "starts_at" in times and "ends_at" in times and times["ends_at"] <= times["starts_at"]:
        problems.append(FieldError("ends_at", "must be after starts_at"))
    opens, closes = times.get("registration_opens_at"), times.get("registration_closes_at")
    if opens and closes and closes <= opens:
        problems.append(FieldError("registration_closes_at", "must be after registration_opens_at"))
    try:
        ZoneInfo(event["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(FieldError("timezone", "not an IANA time zone such as Europe/Istanbul or Asia/Baku"))
    ids = [t["id"] for t in event["ticket_types"]]
    if len(ids) != len(set(ids)):
        problems.append(FieldError("ticket_types", "ticket type ids must be unique"))
    problems += forms.form_schema_errors(event["form"])
    return problems


def ticket_type(event: dict, ticket_type_id: str) -> dict:
    """The event's definition of one of its ticket types (id, name map, optional capacity)."""
    return next(t for t in event["ticket_types"] if t["id"] == ticket_type_id)


def load(event_id: str) -> dict:
    try:
        return Event.get(event_id, consistent_read=True).doc
    except Event.DoesNotExist:
        raise NotFound("error.event.not_found") from None


def load_visible(event_id: str) -> dict:
    """An event the public may see: anything but a draft."""
    event = load(event_id)
    if event["status"] == "draft":
        raise NotFound("error.event.not_found")
    return event


def create(doc: dict) -> dict:
    event = validate_event(doc)
    now = clock.iso(clock.now())
    record = Event(event["id"], status=event["status"], starts_at=event["starts_at"], doc=event,
                   created_at=now, updated_at=now)
    tx = Transaction().put("event", record, condition=Event.id.does_not_exist())
    counters.allot(tx, "seats", event)
    try:
        tx.commit()
    except ConditionsFailed:
        raise Conflict(f"The event id {event['id']} is already taken.") from None
    return event


def patch(event_id: str, changes: dict) -> dict:
    """Merge top-level fields into the event and validate the result as a whole."""
    if "id" in changes and changes["id"] != event_id:
        raise ValidationError.field("id", "an event's id cannot change")
    for _ in range(_RESIZE_ATTEMPTS):
        current = load(event_id)
        event = validate_event({**current, **changes})
        removed = {t["id"] for t in current["ticket_types"]} - {t["id"] for t in event["ticket_types"]}
        counts = counters.read(event_id)
        in_use = sorted(t for t in removed if any(counts.get(f"{s}__{t}", 0) for s in counters.STATUSES))
        if in_use:
            raise Conflict(f"Ticket type {in_use[0]} has registrations and cannot be removed.")
        tx = Transaction().update("event", Event(event_id), [
            Event.doc.set(event), Event.status.set(event["status"]), Event.starts_at.set(event["starts_at"]),
            Event.updated_at.set(clock.iso(clock.now()))], condition=Event.id.exists())
        tx.put("waitlist", outbox.promotion_owed(event_id))  # a capacity raised or a type added has room
        counters.resize(tx, "seats", current, event)
        try:
            tx.commit()
            return event
        except ConditionsFailed as failure:
            if "event" in failure.labels:
                raise NotFound("error.event.not_found") from None
            # a registration took a seat this resize was moving: read the shards again
    raise ServiceUnavailable()  # seats were taken faster than the capacity could be moved


def published() -> list[dict]:
    return [record.doc for record in Event.by_status.query("published")]


def registration_open(event: dict, at: datetime | None = None) -> bool:
    at = at or clock.now()
    if event["status"] != "published" or at >= clock.parse_iso(event["ends_at"]):
        return False
    opens, closes = event.get("registration_opens_at"), event.get("registration_closes_at")
    return (opens is None or at >= clock.parse_iso(opens)) and (closes is None or at < clock.parse_iso(closes))


def public_view(event: dict, counts: dict[str, int] | None = None) -> dict:
    """What anyone may see; with `counts`, also seats left per ticket type."""
    view = {name: event.get(name) for name in PUBLIC_FIELDS}
    view["registration_open"] = registration_open(event)
    view["waitlist"] = event["waitlist"]
    rooms = counters.available(event, counts) if counts is not None else {}
    view["ticket_types"] = [{"id": t["id"], "name": t["name"], "available": rooms.get(t["id"]),
                             "waitlist": event["waitlist"]} for t in event["ticket_types"]]
    return view


def full_view(event: dict, counts: dict[str, int]) -> dict:
    view = {**event, **public_view(event, counts)}
    view["ticket_types"] = [{**t, **v} for t, v in zip(event["ticket_types"], view["ticket_types"])]
    view["registrations"] = {status: counts.get(status, 0) for status in counters.STATUSES}
    return view
