"""The public API: published events, registering, and an attendee's own ticket by its manage secret."""
from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.access import auth
from chalicelib.common.config import settings
from chalicelib.events import counters, events
from chalicelib.http.web import json_view, openapi_json, prefer_language, read_json, respond
from chalicelib.process import tables
from chalicelib.registration import actions, registering
from chalicelib.routes.calls import caller, client
from chalicelib.tickets import lookup

public = Blueprint(__name__)


@public.route("/api/events", methods=["GET"])
@json_view
def list_events() -> Any:
    return {"items": events.public_list(tables())}


@public.route("/api/events/{event_id}", methods=["GET"])
@json_view
def get_event(event_id: str) -> Any:
    """Anyone sees a published event; an organiser of the event (with a token) sees it whole."""
    request, db = public.current_request, tables()
    if request.headers.get("authorization"):
        caller(request, auth.ORGANISERS, event_id)
        return events.full_view(events.load(db, event_id), counters.read(db, event_id))
    return events.public_view(events.load_visible(db, event_id), counters.read(db, event_id))


@public.route("/api/events/{event_id}/registrations", methods=["POST"])
@json_view
def register(event_id: str) -> Any:
    request = public.current_request
    body = read_json(request)
    prefer_language(body.get("language"))  # the attendee's own choice, over the browser's
    outcome = registering.register(tables(), event_id, body, client_key=client(request),
                                     rate_limit=settings().rate_limit_per_minute,
                                     idempotency_key=request.headers.get("idempotency-key"))
    return respond(outcome.body, outcome.status)


@public.route("/api/tickets/{secret}", methods=["GET"])
@json_view
def get_ticket(secret: str) -> Any:
    return lookup.ticket_view(*lookup.find(tables(), secret))


@public.route("/api/tickets/{secret}/qr.png", methods=["GET"])
@json_view
def ticket_qr(secret: str) -> Any:
    return Response(body=lookup.qr(tables(), secret), headers={"Content-Type": "image/png",
                                                               "Cache-Control": "private, max-age=3600"})


@public.route("/api/tickets/{secret}/calendar.ics", methods=["GET"])
@json_view
def ticket_calendar_file(secret: str) -> Any:
    ics = lookup.calendar_file(tables(), secret, settings().public_url)
    return Response(body=ics.decode("utf-8"), headers={"Content-Type": "text/calendar; charset=utf-8",
                             "Content-Disposition": 'attachment; filename="event.ics"'})


@public.route("/api/tickets/{secret}/cancel", methods=["POST"])
@json_view
def cancel_ticket(secret: str) -> Any:
    return actions.cancel_by_secret(tables(), secret)


@public.route("/api/openapi.json", methods=["GET"])
@json_view
def openapi_document() -> Any:
    return Response(body=openapi_json(), headers={"Content-Type": "application/json; charset=utf-8"})
