"""Each function's IAM policy allows exactly what its code calls.

Every function's code runs here for real, in this process, against the session's local DynamoDB
server (and its SES endpoint for mail): the API through Chalice's test client over every route,
the stream handler on a stream batch, the retry schedule and the retention schedule. Every AWS call
the clients make while a function runs is recorded (devstack/aws_calls.py), turned into the IAM
actions AWS checks for it, and compared with the actions of that function's policy in
infra/policies.py, both ways.
"""
from __future__ import annotations

import json
import os
from datetime import timedelta
from urllib.parse import urlencode

import boto3
import pytest
from chalice.test import Client

from chalicelib import process
from chalicelib.common import clock
from chalicelib.events import events
from chalicelib.storage import outbox
from chalicelib.storage.models import OwedPromotion
from chalicelib.tickets import issuing
from devstack import aws_calls
from devstack.aws_calls import Recorder
from infra import policies
from infra.stages import load_stage
from tests.data import registration_body


def policy_actions(function: str) -> set[str]:
    document = policies.policy(load_stage("dev"), function)
    stream_and_logs = {"OutboxStream", "OutboxStreamDeadLetters", "Logs", "SigningKeys", "SigningKeysDecrypt"}
    # The stream's reads and the dead-letter sends are made by Lambda's event source mapping with the
    # function's role, log writes by the runtime, key reads once per instance (tested in test_keys.py):
    # none of those is a call of the code under test here.
    return {action for statement in document["Statement"] if statement["Sid"] not in stream_and_logs
            for action in statement["Action"]}


@pytest.fixture(scope="module")
def recorder():
    with Recorder().installed() as recorder:
        yield recorder


@pytest.fixture(scope="module")
def app_client(db, dynamodb_endpoint, tmp_path_factory):
    """The app in this process on the session's tables, mailing through SES at the local server."""
    sender_domain = "policies.kapi.example"
    boto3.client("ses", endpoint_url=dynamodb_endpoint).verify_domain_identity(Domain=sender_domain)
    with aws_calls.app_client(tmp_path_factory.mktemp("audit"), {
            "KAPI_TABLE_PREFIX": os.environ["KAPI_TABLE_PREFIX"], "KAPI_MAIL_TRANSPORT": "ses",
            "KAPI_MAIL_FROM": f"Kapı <bilet@{sender_domain}>", "AWS_ENDPOINT_URL_SES": dynamodb_endpoint,
            "KAPI_RATE_LIMIT": "0", "KAPI_OUTBOX_QUEUE": "policies", "KAPI_SIGNING_KEY_SOURCE": "file"}) as client:
        yield client


def actions(calls) -> set[str]:
    return {action for call in calls for action in call.iam_actions()}


class Http:
    def __init__(self, client: Client, token: str) -> None:
        self.client, self.token = client, token

    def __call__(self, method: str, path: str, body=None, auth: bool = True, headers: dict | None = None,
                 refused: bool = False):
        headers = {"Content-Type": "application/json", "Accept": "*/*", **(headers or {})}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
        response = self.client.http.request(method, path, headers=headers, body=raw)
        assert (400 <= response.status_code < 500) if refused else response.status_code < 400, (
            method, path, response.status_code, response.body)
        return response


def _event_body(event_id: str) -> dict:
    start = clock.now() + timedelta(days=30)
    return {"id": event_id, "name": {"tr": "Yetki denetimi", "az": "Səlahiyyət yoxlaması", "en": "Policy audit"}, "venue": "İzmir", "timezone": "Europe/Istanbul",
            "starts_at": clock.iso(start), "ends_at": clock.iso(start + timedelta(hours=4)),
            "status": "published", "capacity": 5, "ticket_types": [{"id": "general", "name": {"en": "General"}}]}


def exercise_every_route(db, http: Http, event_id: str) -> set[str]:
    """Calls every route of the app once or more; returns the route paths it called."""
    called = set()

    def call(route: str, method: str, path: str, body=None, **options):
        called.add((route, method))
        return http(method, path, body, **options)

    event_path = f"/api/events/{event_id}"
    call("/api/events", "POST", "/api/events", _event_body(event_id))
    call("/api/events", "GET", "/api/events", auth=False)
    call("/api/events/{event_id}", "GET", event_path, auth=False)
    call("/api/events/{event_id}", "PATCH", event_path, {"venue": "Bakı"})
    ids = []
    for n in range(3):
        answer = call("/api/events/{event_id}/registrations", "POST", f"{event_path}/registrations",
                      registration_body(email=f"policy.{n}.{event_id}@example.org"), auth=False,
                      headers={"Idempotency-Key": f"key-{n}"})
        assert "id" in json.loads(answer.body), answer.body
        ids.append(json.loads(answer.body)["id"])
    registration = f"{event_path}/registrations/{ids[0]}"
    ticket = f"/api/tickets/{issuing.manage_secret_for(db.Registration.get(ids[0]))}"
    call("/api/tickets/{secret}", "GET", ticket, auth=False)
    call("/api/tickets/{secret}/qr.png", "GET", f"{ticket}/qr.png", auth=False)
    call("/api/tickets/{secret}/calendar.ics", "GET", f"{ticket}/calendar.ics", auth=False)
    call("/api/events/{event_id}/registrations/{registration_id}", "GET", registration)
    call("/api/events/{event_id}/registrations/{registration_id}/{move}", "POST", f"{registration}/resend", {})
    call("/api/events/{event_id}/registrations/{registration_id}/reissue", "POST", f"{registration}/reissue", {})
    ticket = f"/api/tickets/{issuing.manage_secret_for(db.Registration.get(ids[0]))}"
    qr = issuing.secret_for(db.Registration.get(ids[0]))
    call("/api/events/{event_id}/registrations/{registration_id}/{move}", "POST",
         f"{event_path}/registrations/{ids[1]}/cancel", {})
    call("/api/events/{event_id}/registrations", "GET", f"{event_path}/registrations?q=seng")
    call("/api/events/{event_id}/registrations.csv", "GET", f"{event_path}/registrations.csv")
    call("/api/events/{event_id}/attendance", "GET", f"{event_path}/attendance")
    lists = call("/api/events/{event_id}/checkin-lists", "POST", f"{event_path}/checkin-lists", {"name": "Gate"})
    list_path = f"{event_path}/checkin-lists/{json.loads(lists.body)['id']}"
    call("/api/events/{event_id}/checkin-lists", "GET", f"{event_path}/checkin-lists")
    call("/api/events/{event_id}/checkin-lists/{list_id}/scans", "POST", f"{list_path}/scans",
         {"secret": "NOT-A-TICKET", "type": "entry"}, refused=True)
    call("/api/events/{event_id}/checkin-lists/{list_id}/scans", "POST", f"{list_path}/scans",
         {"secret": qr, "type": "entry"})
    call("/api/events/{event_id}/checkin-lists/{list_id}/scans/batch", "POST", f"{list_path}/scans/batch",
         {"scans": [{"secret": "NOT-A-TICKET", "type": "entry", "nonce": "n-1"}]})
    call("/api/events/{event_id}/checkin-lists/{list_id}/search", "GET", f"{list_path}/search?q=seng")
    call("/api/events/{event_id}/checkin-lists/{list_id}/status", "GET", f"{list_path}/status")
    call("/api/events/{event_id}/offline-bundle", "GET", f"{event_path}/offline-bundle")
    call("/api/events/{event_id}/registrations/{registration_id}/{move}", "POST",
         f"{event_path}/registrations/{ids[2]}/cancel", {})
    call("/api/events/{event_id}/registrations/{registration_id}", "DELETE",
         f"{event_path}/registrations/{ids[2]}")
    token = call("/api/tokens", "POST", "/api/tokens", {"role": "scanner", "events": [event_id], "label": "gate"})
    code = call("/api/tokens", "POST", "/api/tokens",
                {"role": "scanner", "events": [event_id], "label": "phone", "sign_in_code": True})
    call("/api/door/sign-in", "POST", "/api/door/sign-in", {"code": json.loads(code.body)["sign_in"]["code"]},
         auth=False)
    call("/api/tokens", "GET", f"/api/tokens?event={event_id}")
    call("/api/me/events", "GET", "/api/me/events")
    call("/dashboard", "GET", "/dashboard", auth=False)
    call("/scan", "GET", "/scan", auth=False)
    call("/scan/sw.js", "GET", "/scan/sw.js", auth=False)
    call("/api/door/events", "GET", "/api/door/events")
    call("/api/tokens/{token_id}", "DELETE", f"/api/tokens/{json.loads(token.body)['id']}")
    call("/api/openapi.json", "GET", "/api/openapi.json", auth=False)
    call("/t/{secret}", "GET", "/t/" + ticket.rpartition("/")[2], auth=False)
    call("/api/tickets/{secret}/cancel", "POST", f"{ticket}/cancel", {}, auth=False)
    call("/", "GET", "/", auth=False)
    call("/e/{event_id}", "GET", f"/e/{event_id}", auth=False)
    form = urlencode({"name": "Şengül Əliyeva", "email": f"policy.form.{event_id}@example.org", "consent": "true",
                      "ticket_type": "general", "idempotency_key": "form-key"}).encode()
    call("/e/{event_id}", "POST", f"/e/{event_id}", form, auth=False,
         headers={"Content-Type": "application/x-www-form-urlencoded"})
    call("/api/forms/preview", "POST", "/api/forms/preview",
         {"form": {"type": "object", "properties": {"city": {"type": "string", "title": "City"}}}, "language": "az"})
    return called


def test_the_api_function_calls_exactly_what_its_policy_allows(db, recorder, app_client):
    http = Http(app_client, os.environ["KAPI_ADMIN_TOKEN"])
    with recorder.recording() as calls:
        exercise_every_route(db, http, f"policy-{clock.now():%H%M%S%f}")
    assert actions(calls) == policy_actions("api_handler")


def owed_promotion(db, http: Http, event_id: str) -> str:
    """An event whose capacity was raised by a PATCH that died before moving its waitlist: the debt
    its transaction wrote is the workers' (its grace period over, as if they came later)."""
    http("POST", "/api/events", {**_event_body(event_id), "capacity": 1, "waitlist": True})
    for _ in range(2):
        http("POST", f"/api/events/{event_id}/registrations", registration_body(), auth=False)
    events.patch(db, event_id, {"capacity": 2})
    owed = db.OwedPromotion.get(outbox.promotion_key(event_id))
    owed.update(actions=[OwedPromotion.due_at.set(clock.iso(clock.now()))])
    return owed.id


def test_the_email_functions_call_exactly_what_their_policies_allow(db, recorder, app_client):
    """They also settle owed waitlist promotions, which live in the outbox table."""
    http = Http(app_client, os.environ["KAPI_ADMIN_TOKEN"])
    event_id = f"policy-mail-{clock.now():%H%M%S%f}"
    owed = owed_promotion(db, http, event_id)
    pending = [m.id for m in db.OutboxMessage.by_due.query("policies")]
    assert pending
    stream_batch = {"Records": [{"eventName": "INSERT", "dynamodb": {"Keys": {"id": {"S": item_id}},
                                                                     "SequenceNumber": str(n)}}
                                for n, item_id in enumerate((pending[0], owed))]}
    with recorder.recording() as calls:
        assert app_client.lambda_.invoke("outbox_stream", stream_batch).payload == {"batchItemFailures": []}
    assert actions(calls) == policy_actions("outbox_stream")
    assert [r.status for r in db.Registration.by_event_status.query(f"{event_id}#waitlisted")] == []

    owed_promotion(db, http, f"{event_id}-2")
    process.pipeline.cache_clear()  # another function is another process: it reads the send quota itself
    with recorder.recording() as calls:
        app_client.lambda_.invoke("retry_emails", app_client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    assert actions(calls) == policy_actions("retry_emails")


def test_the_retention_function_calls_exactly_what_its_policy_allows(recorder, app_client):
    http = Http(app_client, os.environ["KAPI_ADMIN_TOKEN"])
    event_id = f"policy-retention-{clock.now():%H%M%S%f}"
    http("POST", "/api/events", _event_body(event_id))
    http("POST", f"/api/events/{event_id}/registrations", registration_body(), auth=False)
    ended = clock.now() - timedelta(days=2)
    http("PATCH", f"/api/events/{event_id}", {"starts_at": clock.iso(ended - timedelta(hours=4)),
                                                "ends_at": clock.iso(ended), "retention_days": 1})
    with recorder.recording() as calls:
        app_client.lambda_.invoke("erase_expired_personal_data", app_client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    assert actions(calls) == policy_actions("erase_expired_personal_data")


def test_every_route_is_exercised_by_the_audit(db, app_client):
    from app import app
    declared = {(path, method) for path, methods in app.routes.items() for method in methods
                if not path.startswith("/static")}
    http = Http(app_client, os.environ["KAPI_ADMIN_TOKEN"])
    assert exercise_every_route(db, http, f"policy-routes-{clock.now():%H%M%S%f}") >= declared


def test_the_policy_files_are_the_ones_infra_policies_writes():
    assert policies.main(["--check"]) == 0
