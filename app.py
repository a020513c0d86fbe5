"""Kapı's HTTP routes and event handlers. Each handler reads the request, calls chalicelib, answers."""
from chalice import Chalice, Response

from chalicelib import (attendance, auth, counters, erasure, events, export_csv, listing, registrations,
                        reissue, retention, waitlist)
from chalicelib.checkin import attendees, counts, offline, scan
from chalicelib.checkin import lists as checkin_lists
from chalicelib.config import settings
from chalicelib.i18n import negotiate
from chalicelib.mail.pipeline import default_pipeline
from chalicelib.pages import LanguageChoice, static
from chalicelib.pages import dashboard as dashboard_page
from chalicelib.pages import form as form_pages
from chalicelib.pages import home as home_pages
from chalicelib.pages import registration as registration_pages
from chalicelib.pages import scan as scan_pages
from chalicelib.pages import ticket as ticket_pages
from chalicelib.tickets import lookup
from chalicelib.tickets.calendar import event_ics
from chalicelib.tickets.links import ticket_links
from chalicelib.tickets.qr import qr_png
from chalicelib.web import (BROWSER_IMAGE_ACCEPTS, client_key, configure_logging, json_view, openapi_json,
                            prefer_language, query_param, read_json, respond, spec_errors_middleware)

app = Chalice(app_name="kapi")
app.api.binary_types.extend(  # "*/*": every answer base64, for any Accept (chalicelib/web.py, "Binary bodies")
    t for t in ("*/*", *static.BINARY_TYPES, *BROWSER_IMAGE_ACCEPTS) if t not in app.api.binary_types)
app.register_middleware(spec_errors_middleware(app.routes), "http")
configure_logging()


def caller(roles: tuple[str, ...], event_id: str | None = None) -> auth.Principal:
    principal = auth.authenticate(app.current_request.headers.get("authorization"))
    return principal.require(roles, event_id)


# --- Events -----------------------------------------------------------------------------------

@app.route("/api/events", methods=["GET"])
@json_view
def list_events():
    published = events.published()
    counts = counters.read_many([event["id"] for event in published])
    return {"items": [events.public_view(event, counts[event["id"]]) for event in published]}


@app.route("/api/events", methods=["POST"])
@json_view
def create_event():
    principal = caller(auth.ORGANISERS)
    body = read_json(app.current_request)
    principal.require(auth.ORGANISERS, str(body.get("id", "")))
    event = events.create(body)
    return respond(events.full_view(event, {}), 201)


@app.route("/api/events/{event_id}", methods=["GET"])
@json_view
def get_event(event_id):
    if app.current_request.headers.get("authorization"):
        caller(auth.ORGANISERS, event_id)
        return events.full_view(events.load(event_id), counters.read(event_id))
    return events.public_view(events.load_visible(event_id), counters.read(event_id))


@app.route("/api/events/{event_id}", methods=["PATCH"],
           content_types=["application/json", "application/merge-patch+json"])
@json_view
def patch_event(event_id):
    caller(auth.ORGANISERS, event_id)
    request = app.current_request
    event = events.patch(event_id, read_json(request), if_match=request.headers.get("if-match"))
    registrations.settle_after_commit(event_id)
    return respond(events.full_view(event, counters.read(event_id)), headers={"ETag": f'"{event["version"]}"'})


# --- Registrations ----------------------------------------------------------------------------

@app.route("/api/events/{event_id}/registrations", methods=["POST"])
@json_view
def register(event_id):
    request = app.current_request
    body = read_json(request)
    prefer_language(body.get("language"))  # the attendee's own choice, over the browser's
    outcome = registrations.register(
        event_id, body, client_key=client_key(request, settings().client_ip_header),
        rate_limit=settings().rate_limit_per_minute,
        idempotency_key=request.headers.get("idempotency-key"))
    return respond(outcome.body, outcome.status)


@app.route("/api/events/{event_id}/registrations/{registration_id}", methods=["GET"])
@json_view
def get_registration(event_id, registration_id):
    caller(auth.ORGANISERS, event_id)
    return registrations.organiser_view(registrations.get(event_id, registration_id))


@app.route("/api/events/{event_id}/registrations/{registration_id}/reissue", methods=["POST"])
@json_view
def reissue_ticket(event_id, registration_id):
    caller(auth.ORGANISERS, event_id)
    request = app.current_request
    ticket_type = reissue.parse(read_json(request) if request.raw_body else {})
    return registrations.organiser_view(reissue.reissue(event_id, registration_id, ticket_type))


@app.route("/api/events/{event_id}/registrations/{registration_id}/{move}", methods=["POST"])
@json_view
def move_registration(event_id, registration_id, move):
    caller(auth.ORGANISERS, event_id)
    if move == "resend":
        return registrations.organiser_view(registrations.resend(event_id, registration_id))
    return registrations.organiser_view(registrations.apply_move(event_id, registration_id, move))


# --- Tickets (the attendee's own, by secret) ---------------------------------------------------

@app.route("/api/tickets/{secret}", methods=["GET"])
@json_view
def get_ticket(secret):
    return lookup.ticket_view(*lookup.find(secret))


@app.route("/api/tickets/{secret}/qr.png", methods=["GET"])
@json_view
def ticket_qr(secret):
    lookup.find(secret)
    return Response(body=qr_png(secret.strip().upper()), headers={"Content-Type": "image/png",
                                                                  "Cache-Control": "private, max-age=3600"})


@app.route("/api/tickets/{secret}/calendar.ics", methods=["GET"])
@json_view
def ticket_calendar(secret):
    registration, event = lookup.find(secret)
    ics = event_ics(event, registration.id, ticket_links(settings().public_url, secret)["ticket"],
                    registration.language)
    return Response(body=ics.decode("utf-8"), headers={"Content-Type": "text/calendar; charset=utf-8",
                                                       "Content-Disposition": 'attachment; filename="event.ics"'})


@app.route("/api/tickets/{secret}/cancel", methods=["POST"])
@json_view
def cancel_ticket(secret):
    registration, _ = lookup.find(secret)
    registrations.apply_move(registration.event_id, registration.id, "cancel")
    return lookup.ticket_view(*lookup.find(secret))


# --- Tokens -----------------------------------------------------------------------------------

@app.route("/api/tokens", methods=["POST"])
@json_view
def create_token():
    principal = caller(auth.ORGANISERS)
    return respond(auth.create_token(principal, read_json(app.current_request)), 201)


@app.route("/api/tokens", methods=["GET"])
@json_view
def list_tokens():
    event_id = query_param(app.current_request, "event")
    return {"items": auth.tokens_of_event(caller(auth.ORGANISERS), event_id)}


@app.route("/api/tokens/{token_id}", methods=["DELETE"])
@json_view
def revoke_token(token_id):
    auth.revoke_token(caller(auth.ORGANISERS), token_id)
    return Response(body="", status_code=204)


# --- Organiser dashboard ----------------------------------------------------------------------

@app.route("/api/me/events", methods=["GET"])
@json_view
def my_events():
    principal = caller(auth.ORGANISERS)
    return {"role": principal.role, "items": [events.summary_view(e) for e in events.manageable(principal.events)]}


@app.route("/dashboard", methods=["GET"])
def dashboard():
    return dashboard_page.page(LanguageChoice.of(app.current_request))


# --- Email delivery (AWS event sources; the local run calls the same pipeline from a worker) -----

@app.lambda_function(name="outbox_stream")
def outbox_stream(event, context):
    """New outbox items from the table's stream, done at once; failures go back for retry."""
    waitlist.settle_stream_records(event.get("Records", []))
    return default_pipeline().deliver_stream_records(event.get("Records", []))


@app.schedule("rate(1 minute)")
def retry_emails(event):
    """Retries due messages and owed waitlist promotions, and anything the stream missed."""
    default_pipeline().run_due()
    waitlist.settle_due()


# --- Organisers: lists, exports, personal data ------------------------------------------------

@app.route("/api/events/{event_id}/registrations", methods=["GET"])
@json_view
def list_registrations(event_id):
    caller(auth.ORGANISERS, event_id)
    return listing.page(event_id, dict(app.current_request.query_params or {}))


@app.route("/api/events/{event_id}/registrations.csv", methods=["GET"])
@json_view
def export_registrations(event_id):
    caller(auth.ORGANISERS, event_id)
    request = app.current_request
    language = negotiate(request.headers.get("accept-language"), query_param(request, "lang"))
    delimiter = export_csv.separator(query_param(request, "sep"), language)
    return Response(body=export_csv.export(event_id, delimiter), headers={
        "Content-Type": export_csv.CONTENT_TYPE,
        "Content-Disposition": f'attachment; filename="{export_csv.filename(event_id)}"'})


@app.route("/api/events/{event_id}/registrations/{registration_id}", methods=["DELETE"])
@json_view
def erase_registration(event_id, registration_id):
    caller(auth.ORGANISERS, event_id)
    erasure.erase(event_id, registration_id)
    return Response(body="", status_code=204)


@app.route("/api/events/{event_id}/attendance", methods=["GET"])
@json_view
def attendance_report(event_id):
    caller(auth.ORGANISERS, event_id)
    return attendance.report(event_id)


@app.route("/api/openapi.json", methods=["GET"])
@json_view
def openapi_document():
    return Response(body=openapi_json(), headers={"Content-Type": "application/json; charset=utf-8"})


@app.schedule("rate(1 hour)")
def erase_expired_personal_data(event):
    """Retention: an event's personal data is erased `retention_days` after it ends."""
    retention.erase_due()


# --- Door check-in ----------------------------------------------------------------------------



def door_scan(event_id: str, list_id: str) -> scan.Door:
    """The caller's door (scanner, organiser or admin within scope) for one list, messages in their language."""
    principal = caller(auth.DOOR, event_id)
    language = negotiate(app.current_request.headers.get("accept-language"))
    return scan.door(event_id, list_id, principal.id, language)


@app.route("/api/events/{event_id}/checkin-lists", methods=["POST"])
@json_view
def create_checkin_list(event_id):
    caller(auth.ORGANISERS, event_id)
    return respond(checkin_lists.create(event_id, read_json(app.current_request)), 201)


@app.route("/api/events/{event_id}/checkin-lists", methods=["GET"])
@json_view
def get_checkin_lists(event_id):
    caller(auth.ORGANISERS, event_id)
    return {"items": checkin_lists.all_for(event_id)}


@app.route("/api/events/{event_id}/checkin-lists/{list_id}/scans", methods=["POST"])
@json_view
def scan_ticket(event_id, list_id):
    door = door_scan(event_id, list_id)
    answer = scan.perform(door, scan.parse(read_json(app.current_request), door))
    return respond(answer.body, answer.status)


@app.route("/api/events/{event_id}/checkin-lists/{list_id}/scans/batch", methods=["POST"])
@json_view
def scan_batch(event_id, list_id):
    door = door_scan(event_id, list_id)
    return {"results": scan.perform_batch(door, scan.parse_batch(read_json(app.current_request), door))}


@app.route("/api/events/{event_id}/checkin-lists/{list_id}/search", methods=["GET"])
@json_view
def search_at_door(event_id, list_id):
    principal = caller(auth.DOOR, event_id)
    query = query_param(app.current_request, "q")
    return {"items": attendees.find(event_id, checkin_lists.get(event_id, list_id), query,
                                    with_email=principal.role in auth.ORGANISERS)}


@app.route("/api/events/{event_id}/checkin-lists/{list_id}/status", methods=["GET"])
@json_view
def checkin_status(event_id, list_id):
    caller(auth.DOOR, event_id)
    return counts.status(checkin_lists.event(event_id), checkin_lists.get(event_id, list_id))


@app.route("/api/door/events", methods=["GET"])
@json_view
def door_events():
    """The events the caller's token may scan: the scanner page's event picker."""
    return {"items": checkin_lists.door_events(caller(auth.DOOR).events)}


@app.route("/api/events/{event_id}/offline-bundle", methods=["GET"])
@json_view
def offline_bundle(event_id):
    caller(auth.DOOR, event_id)
    return offline.bundle(event_id)


@app.route("/api/forms/preview", methods=["POST"])
@json_view
def preview_form():
    """A form schema's fields as the registration page renders them, for the organisers' editor."""
    caller(auth.ORGANISERS)
    return Response(body=form_pages.preview(read_json(app.current_request)),
                    headers={"Content-Type": "text/html; charset=utf-8"})


# --- Pages ------------------------------------------------------------------------------------

@app.route("/", methods=["GET"])
def home_page():
    return home_pages.home_page(LanguageChoice.of(app.current_request))


@app.route("/e/{event_id}", methods=["GET"])
def registration_page(event_id):
    return registration_pages.event_page(event_id, LanguageChoice.of(app.current_request))


@app.route("/e/{event_id}", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def registration_page_post(event_id):
    """The form sent without JavaScript."""
    request = app.current_request
    return registration_pages.submit(event_id, LanguageChoice.of(request), request.raw_body or b"",
                                     client_key=client_key(request, settings().client_ip_header),
                                     rate_limit=settings().rate_limit_per_minute)


@app.route("/t/{secret}", methods=["GET"])
def ticket_page(secret):
    request = app.current_request
    return ticket_pages.ticket_page(secret, query_param(request, "lang"), request.headers.get("accept-language"),
                                    request.headers.get("cookie"))


@app.route("/scan", methods=["GET"])
def scan_page():
    request = app.current_request
    return scan_pages.scan_page(query_param(request, "lang"), request.headers.get("accept-language"))


@app.route("/scan/sw.js", methods=["GET"])
def scan_service_worker():
    return scan_pages.service_worker()


@app.route("/static/{name}", methods=["GET"])
@app.route("/static/{folder}/{name}", methods=["GET"])
@app.route("/static/{folder}/{package}/{name}", methods=["GET"])
@json_view
def static_file(name, folder=None, package=None):
    """Static files one to three folders deep (e.g. `vendor/<package>/<file>`)."""
    path = "/".join(part for part in (folder, package, name) if part)
    return static.response(path, query_param(app.current_request, "v"))
