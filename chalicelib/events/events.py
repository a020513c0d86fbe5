"""Events: validation, storage, and the public and organiser views of them."""
from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.common import clock
from chalicelib.common.errors import Conflict, FieldError, NotFound, PreconditionFailed, ValidationError
from chalicelib.events import counters, definition
from chalicelib.forms import reading, validation
from chalicelib.storage import outbox
from chalicelib.storage.models import Event
from chalicelib.storage.tables import Tables
from chalicelib.storage.transaction import ConditionsFailed

DEFAULT_FORM = {"type": "object", "properties": {}, "additionalProperties": False}
DEFAULT_TICKET_TYPE = {"id": "general", "name": {"tr": "Genel", "az": "Ümumi", "en": "General"}}
DEFAULTS = {
    "description": None, "privacy": None, "status": "draft", "registration_opens_at": None,
    "registration_closes_at": None, "capacity": None, "waitlist": False,
    "requires_approval": False, "allow_duplicate_emails": False, "retention_days": 180,
}
# Event times lie between these bounds: far enough for any real programme, near enough that every
# date computed from them (retention's due date, a year of hourly arrivals) stays a real date.
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST_AHEAD = timedelta(days=10 * 366)
PUBLIC_FIELDS = ("id", "name", "description", "privacy", "venue", "starts_at", "ends_at", "timezone",
                 "languages", "status", "requires_approval", "form", "version")
PATCH_ATTEMPTS = 8


@functools.lru_cache(maxsize=1)
def _event_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((Path(__file__).parent / "schemas" / "event.json").read_text(encoding="utf-8"))
    return schema


def validate_event(doc: dict[str, Any]) -> dict[str, Any]:
    """The event with defaults filled in, or a 400 naming every bad field."""
    problems = validation.validate(_event_schema(), doc, "")
    if problems:
        raise ValidationError("error.event.invalid", problems)
    event = {**DEFAULTS, **doc}
    event.setdefault("ticket_types", [dict(DEFAULT_TICKET_TYPE)])
    event.setdefault("languages", [lang for lang in ("tr", "az", "en") if lang in event["name"]])
    event.setdefault("form", dict(DEFAULT_FORM))
    problems = _semantic_problems(event)
    if problems:
        raise ValidationError("error.event.invalid", problems)
    return event


def _semantic_problems(event: dict[str, Any]) -> list[FieldError]:
    problems: list[FieldError] = []
    times: dict[str, datetime] = {}
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        if event.get(name) is None:
            continue
        try:
            times[name] = clock.parse_iso(event[name])
        except ValueError:
            problems.append(FieldError(name, "error.time.invalid"))
            continue
        if not EARLIEST <= times[name] <= clock.now() + LATEST_AHEAD:
            problems.append(FieldError(name, "error.time.range"))
    if "starts_at" in times and "ends_at" in times and times["ends_at"] <= times["starts_at"]:
        problems.append(FieldError("ends_at", "error.time.order", before="starts_at"))
    opens, closes = times.get("registration_opens_at"), times.get("registration_closes_at")
    if opens and closes and closes <= opens:
        problems.append(FieldError("registration_closes_at", "error.time.order", before="registration_opens_at"))
    try:
        ZoneInfo(event["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(FieldError("timezone", "error.timezone.invalid"))
    ids = [t["id"] for t in event["ticket_types"]]
    if len(ids) != len(set(ids)):
        problems.append(FieldError("ticket_types", "error.ticket_types.unique"))
    problems += validation.form_schema_errors(event["form"]) or reading.problems(event["form"])
    return problems


def load(db: Tables, event_id: str) -> dict[str, Any]:
    """The event as stored, with its `version` (every view shows it; PATCH may be conditional on it)."""
    return _with_version(load_record(db, event_id))


def load_record(db: Tables, event_id: str) -> Event:
    try:
        return db.Event.get(event_id, consistent_read=True)
    except Event.DoesNotExist:
        raise NotFound("error.event.not_found") from None


def registrations_possible_from(record: Event) -> datetime:
    """The earliest moment a registration of the event can exist: when it was created, or the
    registration opening its organiser declared if that is earlier (registrations brought over
    from elsewhere). Nothing about its tickets, a door scan included, can be dated before it."""
    created = clock.parse_iso(record.created_at)
    opens = record.doc.get("registration_opens_at")
    return min(created, clock.parse_iso(opens)) if opens else created


def _with_version(record: Event) -> dict[str, Any]:
    return {**record.doc, "version": int(record.version or 0)}


def load_visible(db: Tables, event_id: str) -> dict[str, Any]:
    """An event the public may see: anything but a draft."""
    event = load(db, event_id)
    if event["status"] == "draft":
        raise NotFound("error.event.not_found")
    return event


def create(db: Tables, doc: dict[str, Any]) -> dict[str, Any]:
    event = validate_event(doc)
    now = clock.iso(clock.now())
    record = db.Event(event["id"], status=event["status"], starts_at=event["starts_at"], doc=event,
                   created_at=now, updated_at=now, version=1)
    tx = db.transaction().put("event", record, condition=Event.id.does_not_exist())
    counters.allot(db, tx, "seats", event)
    try:
        tx.commit()
    except ConditionsFailed as failure:
        if "event" in failure.labels:
            raise Conflict("error.event.taken") from None
        raise
    return _with_version(record)


def patch(db: Tables, event_id: str, changes: dict[str, Any], if_match: str | None = None) -> dict[str, Any]:
    """Apply `changes` as a JSON Merge Patch (RFC 7396) and validate the result as a whole.

    The write is conditional on the version that was read, so two concurrent PATCHes never lose an
    update: without `if_match` the loser merges its changes into the winner's event and tries again;
    with it (the version the caller saw, as in HTTP If-Match) a newer version is 412. Removing a
    ticket type commits only if no registration of it was ever counted (`counters.reshape`).
    """
    if "id" in changes and changes["id"] != event_id:
        raise ValidationError.field("id", "error.event.id_read_only")
    if "version" in changes:
        raise ValidationError.field("version", "error.event.version_read_only")
    for _ in range(PATCH_ATTEMPTS):
        record = load_record(db, event_id)
        version = int(record.version or 0)
        if if_match is not None and not _matches(if_match, version):
            raise PreconditionFailed(details=[FieldError("If-Match", "error.event.stale_version", version=version)])
        event = validate_event(merge_patch(record.doc, changes))  # type: ignore[arg-type]  # checked there
        try:
            _write(db, record, event, version)
        except ConditionsFailed as failure:
            if "counters" in failure.labels:
                _refuse_removal_in_use(db, event_id, record.doc, event)
            continue  # the event or its seats changed since they were read: read again (or 412 above)
        return {**event, "version": version + 1}
    raise Conflict("error.event.busy")


def merge_patch(target: object, patch: object) -> object:
    """RFC 7396: objects merge key by key, `null` deletes a key, anything else replaces the target."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_patch(merged.get(name), value)
    return merged


def _matches(if_match: str, version: int) -> bool:
    """An If-Match value: `*`, or a version as a bare number or an entity tag (`"3"`, `W/"3"`)."""
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")]
    return "*" in tags or str(version) in tags


def _write(db: Tables, record: Event, event: dict[str, Any], version: int) -> None:
    """One transaction: the event at the version read, the counter shards' retired markers and seat
    tokens (`counters.reshape`, at most one item per shard), and the waitlist's due promotion."""
    if definition.ticket_type_changes(record.doc, event)[0]:
        _refuse_removal_in_use(db, record.id, record.doc, event)
    at_version = Event.version == version if record.version is not None else Event.version.does_not_exist()
    tx = db.transaction()
    tx.update("event", db.Event(record.id), [
        Event.doc.set(event), Event.status.set(event["status"]), Event.starts_at.set(event["starts_at"]),
        Event.updated_at.set(clock.iso(clock.now())), Event.version.set(version + 1),
    ], condition=Event.id.exists() & at_version)
    counters.reshape(db, tx, "counters", record.doc, event)
    tx.put("waitlist", outbox.promotion_owed(db, record.id))  # a capacity raised or a type added has room
    tx.commit()


def _refuse_removal_in_use(db: Tables, event_id: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    in_use = counters.in_use(counters.read(db, event_id), definition.ticket_type_changes(before, after)[0])
    if in_use:
        raise Conflict("error.event.ticket_type_in_use",
                       [FieldError("ticket_types", "error.ticket_type.in_use", ticket_types=", ".join(in_use))])


def public_list(db: Tables) -> list[dict[str, Any]]:
    """Every published event as anyone sees it, with seats left (one BatchGetItem per 100 shard keys)."""
    listed = published(db)
    counts = counters.read_many(db, [event["id"] for event in listed])
    return [public_view(event, counts[event["id"]]) for event in listed]


def published(db: Tables) -> list[dict[str, Any]]:
    return [_with_version(record) for record in db.Event.by_status.query("published")]


STATUSES = ("draft", "published", "closed", "cancelled")


def manageable(db: Tables, scope: tuple[str, ...]) -> list[dict[str, Any]]:
    """The events a token may manage, soonest first: its own events (one BatchGetItem per 100), or every
    event for an unscoped token (one index Query per status: never a Scan)."""
    if scope:
        docs = [record.doc for record in db.Event.batch_get(scope)]
    else:
        docs = [record.doc for status in STATUSES for record in db.Event.by_status.query(status)]
    return sorted(docs, key=lambda doc: (doc["starts_at"], doc["id"]))


def summary_view(event: dict[str, Any]) -> dict[str, Any]:
    """One line of the organiser's event list."""
    return {name: event.get(name) for name in ("id", "name", "status", "venue", "starts_at", "ends_at", "timezone")}


def registration_open(event: dict[str, Any], at: datetime | None = None) -> bool:
    at = at or clock.now()
    if event["status"] != "published" or at >= clock.parse_iso(event["ends_at"]):
        return False
    opens, closes = event.get("registration_opens_at"), event.get("registration_closes_at")
    return (opens is None or at >= clock.parse_iso(opens)) and (closes is None or at < clock.parse_iso(closes))


def public_view(event: dict[str, Any], counts: dict[str, int] | None = None) -> dict[str, Any]:
    """What anyone may see; with `counts`, also seats left per ticket type."""
    view = {name: event.get(name) for name in PUBLIC_FIELDS}
    view["registration_open"] = registration_open(event)
    view["waitlist"] = event["waitlist"]
    rooms = counters.available(event, counts) if counts is not None else {}
    view["ticket_types"] = [{"id": t["id"], "name": t["name"], "available": rooms.get(t["id"]),
                             "waitlist": event["waitlist"]} for t in event["ticket_types"]]
    return view


def full_view(event: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    view = {**event, **public_view(event, counts)}
    view["ticket_types"] = [{**t, **v} for t, v in zip(event["ticket_types"], view["ticket_types"])]
    view["registrations"] = {status: counts.get(status, 0) for status in counters.STATUSES}
    return view
