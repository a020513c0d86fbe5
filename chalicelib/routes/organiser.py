"""The organisers' API: events, registrations and their moves, tokens, lists, exports, personal data."""
from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.access import auth
from chalicelib.access.audit import audited
from chalicelib.checkin import lists as checkin_lists
from chalicelib.events import events
from chalicelib.http.web import json_view, query_param, read_json, respond
from chalicelib.organiser import attendance, erasure, event_changes, export_csv, listing, reissue
from chalicelib.pages import form_html
from chalicelib.process import tables
from chalicelib.registration import actions, moves, views
from chalicelib.routes.calls import caller, language

organiser = Blueprint(__name__)


@organiser.route("/api/events", methods=["POST"])
@json_view
def create_event() -> Any:
    principal = caller(organiser.current_request, auth.ORGANISERS)
    body = read_json(organiser.current_request)
    principal.require(auth.ORGANISERS, str(body.get("id", "")))
    return respond(events.full_view(events.create(tables(), body), {}), 201)


@organiser.route("/api/events/{event_id}", methods=["PATCH"],
                 content_types=["application/json", "application/merge-patch+json"])
@json_view
@audited("event.patch")
def patch_event(event_id: str) -> Any:
    request = organiser.current_request
    caller(request, auth.ORGANISERS, event_id)
    view = event_changes.patch(tables(), event_id, read_json(request), if_match=request.headers.get("if-match"))
    return respond(view, headers={"ETag": f'"{view["version"]}"'})


@organiser.route("/api/me/events", methods=["GET"])
@json_view
def my_events() -> Any:
    principal = caller(organiser.current_request, auth.ORGANISERS)
    manageable = events.manageable(tables(), principal.events)
    return {"role": principal.role, "items": [events.summary_view(e) for e in manageable]}


@organiser.route("/api/events/{event_id}/registrations", methods=["GET"])
@json_view
def list_registrations(event_id: str) -> Any:
    caller(organiser.current_request, auth.ORGANISERS, event_id)
    return listing.page(tables(), event_id, dict(organiser.current_request.query_params or {}))


@organiser.route("/api/events/{event_id}/registrations.csv", methods=["GET"])
@json_view
@audited("registration.export")
def export_registrations(event_id: str) -> Any:
    request = organiser.current_request
    caller(request, auth.ORGANISERS, event_id)
    delimiter = export_csv.separator(query_param(request, "sep"), language(request))
    return Response(body=export_csv.export(tables(), event_id, delimiter), headers={
        "Content-Type": export_csv.CONTENT_TYPE,
        "Content-Disposition": f'attachment; filename="{export_csv.filename(event_id)}"'})


@organiser.route("/api/events/{event_id}/registrations/{registration_id}", methods=["GET"])
@json_view
def get_registration(event_id: str, registration_id: str) -> Any:
    caller(organiser.current_request, auth.ORGANISERS, event_id)
    return views.organiser_view(moves.get(tables(), event_id, registration_id))


@organiser.route("/api/events/{event_id}/registrations/{registration_id}", methods=["DELETE"])
@json_view
@audited("registration.erase")
def erase_registration(event_id: str, registration_id: str) -> Any:
    caller(organiser.current_request, auth.ORGANISERS, event_id)
    erasure.erase(tables(), event_id, registration_id)
    return Response(body="", status_code=204)


@organiser.route("/api/events/{event_id}/registrations/{registration_id}/reissue", methods=["POST"])
@json_view
@audited("registration.reissue")
def reissue_ticket(event_id: str, registration_id: str) -> Any:
    request = organiser.current_request
    caller(request, auth.ORGANISERS, event_id)
    ticket_type = reissue.parse(read_json(request) if request.raw_body else {})
    return views.organiser_view(reissue.reissue(tables(), event_id, registration_id, ticket_type))


@organiser.route("/api/events/{event_id}/registrations/{registration_id}/{move}", methods=["POST"])
@json_view
@audited(action_param="move")
def move_registration(event_id: str, registration_id: str, move: str) -> Any:
    caller(organiser.current_request, auth.ORGANISERS, event_id)
    return views.organiser_view(actions.perform(tables(), event_id, registration_id, move))


@organiser.route("/api/events/{event_id}/attendance", methods=["GET"])
@json_view
def attendance_report(event_id: str) -> Any:
    caller(organiser.current_request, auth.ORGANISERS, event_id)
    return attendance.report(tables(), event_id)


@organiser.route("/api/events/{event_id}/checkin-lists", methods=["POST"])
@json_view
def create_checkin_list(event_id: str) -> Any:
    caller(organiser.current_request, auth.ORGANISERS, event_id)
    return respond(checkin_lists.create(tables(), event_id, read_json(organiser.current_request)), 201)


@organiser.route("/api/events/{event_id}/checkin-lists", methods=["GET"])
@json_view
def get_checkin_lists(event_id: str) -> Any:
    caller(organiser.current_request, auth.ORGANISERS, event_id)
    return {"items": checkin_lists.all_for(tables(), event_id)}


@organiser.route("/api/tokens", methods=["POST"])
@json_view
@audited("token.create")
def create_token() -> Any:
    principal = caller(organiser.current_request, auth.ORGANISERS)
    return respond(auth.create_token(tables(), principal, read_json(organiser.current_request)), 201)


@organiser.route("/api/tokens", methods=["GET"])
@json_view
def list_tokens() -> Any:
    principal = caller(organiser.current_request, auth.ORGANISERS)
    return {"items": auth.tokens_of_event(tables(), principal, query_param(organiser.current_request, "event"))}


@organiser.route("/api/tokens/{token_id}", methods=["DELETE"])
@json_view
@audited("token.revoke")
def revoke_token(token_id: str) -> Any:
    auth.revoke_token(tables(), caller(organiser.current_request, auth.ORGANISERS), token_id)
    return Response(body="", status_code=204)


@organiser.route("/api/forms/preview", methods=["POST"])
@json_view
def preview_form() -> Any:
    """A form schema's fields as the registration page renders them, for the organisers' editor."""
    caller(organiser.current_request, auth.ORGANISERS)
    return Response(body=form_html.preview(read_json(organiser.current_request)),
                    headers={"Content-Type": "text/html; charset=utf-8"})
