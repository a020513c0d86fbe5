"""The door's API: scans, the name search, a list's counts, the scanner's events and offline bundle."""
from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.access import auth, sign_in
from chalicelib.checkin import attendees, counts, offline, scan
from chalicelib.checkin import lists as checkin_lists
from chalicelib.http.web import json_view, query_param, read_json, respond
from chalicelib.i18n import negotiate
from chalicelib.process import tables
from chalicelib.routes.calls import caller

door = Blueprint(__name__)


def _door(event_id: str, list_id: str) -> scan.Door:
    """The caller's door (scanner, organiser or admin within scope) for one list, messages in their language."""
    request = door.current_request
    principal = caller(request, auth.DOOR, event_id)
    return scan.door(tables(), event_id, list_id, principal.id, negotiate(request.headers.get("accept-language")))


@door.route("/api/events/{event_id}/checkin-lists/{list_id}/scans", methods=["POST"])
@json_view
def scan_ticket(event_id: str, list_id: str) -> Any:
    where = _door(event_id, list_id)
    answer = scan.perform(tables(), where, scan.parse(read_json(door.current_request), where))
    return respond(answer.body, answer.status)


@door.route("/api/events/{event_id}/checkin-lists/{list_id}/scans/batch", methods=["POST"])
@json_view
def scan_batch(event_id: str, list_id: str) -> Any:
    where = _door(event_id, list_id)
    return {"results": scan.perform_batch(tables(), where, scan.parse_batch(read_json(door.current_request), where))}


@door.route("/api/events/{event_id}/checkin-lists/{list_id}/search", methods=["GET"])
@json_view
def search_at_door(event_id: str, list_id: str) -> Any:
    principal, db = caller(door.current_request, auth.DOOR, event_id), tables()
    return {"items": attendees.find(db, event_id, checkin_lists.get(db, event_id, list_id),
                                    query_param(door.current_request, "q"),
                                    with_email=principal.role in auth.ORGANISERS)}


@door.route("/api/events/{event_id}/checkin-lists/{list_id}/status", methods=["GET"])
@json_view
def checkin_status(event_id: str, list_id: str) -> Any:
    caller(door.current_request, auth.DOOR, event_id)
    db = tables()
    return counts.status(db, checkin_lists.event(db, event_id), checkin_lists.get(db, event_id, list_id))


@door.route("/api/door/events", methods=["GET"])
@json_view
def door_events() -> Any:
    """The events the caller's token may scan: the scanner page's event picker."""
    return {"items": checkin_lists.door_events(tables(), caller(door.current_request, auth.DOOR).events)}


@door.route("/api/events/{event_id}/offline-bundle", methods=["GET"])
@json_view
def offline_bundle(event_id: str) -> Any:
    """One page of the bundle (`?cursor=` the next), or of what changed `?since=` a sync token."""
    request = door.current_request
    caller(request, auth.DOOR, event_id)
    return offline.bundle(tables(), event_id, query_param(request, "cursor"), query_param(request, "since"))


@door.route("/api/door/sign-in", methods=["POST"])
@json_view
def door_sign_in() -> Any:
    """A scanner page trades the single-use code of a sign-in QR code for its token (SPEC §16)."""
    return sign_in.exchange(tables(), read_json(door.current_request))
