"""Each function's IAM policy allows exactly what its code calls.

Every function's code runs here for real, in this process, against the session's local DynamoDB
server (and its SES endpoint for mail): the API through Chalice's test client over every route,
the stream handler on a stream batch, the retry schedule and the retention schedule. Every AWS call
the clients make while a function runs is recorded (botocore's `before-call`, which sees the
operation and its parameters as they go out), turned into the IAM actions AWS checks for it, and
compared with the actions of that function's policy in infra/policies.py, both ways.
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from datetime import timedelta

import boto3
import botocore.client
import pytest
from chalice.test import Client

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.storage.models import OutboxMessage, Registration
from chalicelib.tickets import issuing
from infra import policies
from infra.stages import load_stage
from tests.data import registration_body

# The parts of a TransactWriteItems and a BatchWriteItem, and the IAM action each needs.
_ITEM_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                 "ConditionCheck": "ConditionCheckItem", "PutRequest": "PutItem", "DeleteRequest": "DeleteItem"}


def iam_actions(service: str, operation: str, params: dict) -> set[str]:
    if operation == "TransactWriteItems":
        return {f"dynamodb:{_ITEM_ACTIONS[kind]}" for item in params["TransactItems"] for kind in item}
    if operation == "BatchWriteItem":
        return {f"dynamodb:{_ITEM_ACTIONS[kind]}" for writes in params["RequestItems"].values()
                for write in writes for kind in write}
    if operation == "TransactGetItems":
        return {"dynamodb:GetItem"}
    return {f"{service}:{operation}"}


class Recorder:
    """The IAM actions of every AWS call made inside `during()`, whichever client made it."""

    def __init__(self) -> None:
        self.actions: set[str] = set()
        self._on = False

    @contextmanager
    def during(self):
        self.actions = set()
        self._on = True
        try:
            yield self.actions
        finally:
            self._on = False

    def wrap(self, original):
        recorder = self

        def make_api_call(client, operation, params):
            if recorder._on:
                service = client.meta.service_model.signing_name
                recorder.actions |= iam_actions(service, operation, params)
            return original(client, operation, params)
        return make_api_call


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
    recorder = Recorder()
    original = botocore.client.BaseClient._make_api_call
    botocore.client.BaseClient._make_api_call = recorder.wrap(original)
    yield recorder
    botocore.client.BaseClient._make_api_call = original


@pytest.fixture(scope="module")
def app_client(tables, dynamodb_endpoint, tmp_path_factory):
    """The app in this process as a stage of its own: the session's tables, mail through SES at the
    local server. (Chalice's test client sets a stage's environment; dev's would point at AWS.)"""
    sender_domain = "policies.kapi.example"
    environment = {"KAPI_TABLE_PREFIX": os.environ["KAPI_TABLE_PREFIX"], "KAPI_MAIL_TRANSPORT": "ses",
                   "KAPI_MAIL_FROM": f"Kapı <bilet@{sender_domain}>", "AWS_ENDPOINT_URL_SES": dynamodb_endpoint,
                   "KAPI_RATE_LIMIT": "0", "KAPI_OUTBOX_QUEUE": "policies", "KAPI_SIGNING_KEY_SOURCE": "file"}
    project = tmp_path_factory.mktemp("audit")
    (project / ".chalice").mkdir()
    (project / ".chalice" / "config.json").write_text(json.dumps(
        {"version": "2.0", "app_name": "kapi", "stages": {"audit": {"environment_variables": environment}}}))
    boto3.client("ses", endpoint_url=dynamodb_endpoint).verify_domain_identity(Domain=sender_domain)
    from app import app
    settings.cache_clear()
    with Client(app, stage_name="audit", project_dir=str(project)) as client:
        yield client
    settings.cache_clear()


class Http:
    def __init__(self, client: Client, token: str) -> None:
        self.client, self.token = client, token

    def __call__(self, method: str, path: str, body=None, auth: bool = True, headers: dict | None = None):
        headers = {"Content-Type": "application/json", "Accept": "*/*", **(headers or {})}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        response = self.client.http.request(method, path, headers=headers,
                                            body=json.dumps(body).encode() if body is not None else b"")
        assert response.status_code < 500, (method, path, response.body)
        return response


def _event_body(event_id: str) -> dict:
    start = clock.now() + timedelta(days=30)
    return {"id": event_id, "name": {"en": "Policy audit"}, "venue": "İzmir", "timezone": "Europe/Istanbul",
            "starts_at": clock.iso(start), "ends_at": clock.iso(start + timedelta(hours=4)),
            "status": "published", "capacity": 5, "ticket_types": [{"id": "general", "name": {"en": "General"}}]}


def exercise_every_route(http: Http, event_id: str) -> set[str]:
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
        ids.append(json.loads(answer.body)["id"])
    registration = f"{event_path}/registrations/{ids[0]}"
    ticket = f"/api/tickets/{issuing.secret_for(Registration.get(ids[0]))}"
    call("/api/tickets/{secret}", "GET", ticket, auth=False)
    call("/api/tickets/{secret}/qr.png", "GET", f"{ticket}/qr.png", auth=False)
    call("/api/tickets/{secret}/calendar.ics", "GET", f"{ticket}/calendar.ics", auth=False)
    call("/api/events/{event_id}/registrations/{registration_id}", "GET", registration)
    call("/api/events/{event_id}/registrations/{registration_id}/{move}", "POST", f"{registration}/resend", {})
    call("/api/events/{event_id}/registrations/{registration_id}/{move}", "POST",
         f"{event_path}/registrations/{ids[1]}/cancel", {})
    call("/api/events/{event_id}/registrations", "GET", f"{event_path}/registrations?q=seng")
    call("/api/events/{event_id}/registrations.csv", "GET", f"{event_path}/registrations.csv")
    call("/api/events/{event_id}/attendance", "GET", f"{event_path}/attendance")
    lists = call("/api/events/{event_id}/checkin-lists", "POST", f"{event_path}/checkin-lists", {"name": "Gate"})
    list_path = f"{event_path}/checkin-lists/{json.loads(lists.body)['id']}"
    call("/api/events/{event_id}/checkin-lists", "GET", f"{event_path}/checkin-lists")
    for secret in ("NOT-A-TICKET", ticket.rpartition("/")[2]):
        call("/api/events/{event_id}/checkin-lists/{list_id}/scans", "POST", f"{list_path}/scans",
             {"secret": secret, "type": "entry"})
    call("/api/events/{event_id}/checkin-lists/{list_id}/scans/batch", "POST", f"{list_path}/scans/batch",
         {"scans": [{"secret": "NOT-A-TICKET", "type": "entry", "nonce": "n-1"}]})
    call("/api/events/{event_id}/checkin-lists/{list_id}/search", "GET", f"{list_path}/search?q=seng")
    call("/api/events/{event_id}/checkin-lists/{list_id}/status", "GET", f"{list_path}/status")
    call("/api/events/{event_id}/offline-bundle", "GET", f"{event_path}/offline-bundle")
    call("/api/events/{event_id}/registrations/{registration_id}", "DELETE",
         f"{event_path}/registrations/{ids[2]}")
    token = call("/api/tokens", "POST", "/api/tokens", {"role": "scanner", "events": [event_id], "label": "gate"})
    call("/api/tokens/{token_id}", "DELETE", f"/api/tokens/{json.loads(token.body)['id']}")
    call("/api/openapi.json", "GET", "/api/openapi.json", auth=False)
    call("/t/{secret}", "GET", "/t/" + ticket.rpartition("/")[2], auth=False)
    call("/api/tickets/{secret}/cancel", "POST", f"{ticket}/cancel", {}, auth=False)
    return called


def test_the_api_function_calls_exactly_what_its_policy_allows(recorder, app_client):
    http = Http(app_client, os.environ["KAPI_ADMIN_TOKEN"])
    with recorder.during() as called:
        exercise_every_route(http, f"policy-{clock.now():%H%M%S%f}")
    assert called == policy_actions("api_handler")


def test_the_email_functions_call_exactly_what_their_policies_allow(recorder, app_client):
    http = Http(app_client, os.environ["KAPI_ADMIN_TOKEN"])
    event_id = f"policy-mail-{clock.now():%H%M%S%f}"
    http("POST", "/api/events", _event_body(event_id))
    http("POST", f"/api/events/{event_id}/registrations", registration_body(), auth=False)
    pending = [m.id for m in OutboxMessage.by_due.query("policies")]
    assert pending
    stream_batch = {"Records": [{"eventName": "INSERT", "dynamodb": {"Keys": {"id": {"S": pending[0]}},
                                                                     "SequenceNumber": "1"}}]}
    with recorder.during() as called:
        assert app_client.lambda_.invoke("outbox_stream", stream_batch).payload == {"batchItemFailures": []}
    assert called == policy_actions("outbox_stream")

    http("POST", f"/api/events/{event_id}/registrations", registration_body(), auth=False)
    with recorder.during() as called:
        app_client.lambda_.invoke("retry_emails", app_client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    assert called == policy_actions("retry_emails")


def test_the_retention_function_calls_exactly_what_its_policy_allows(recorder, app_client):
    http = Http(app_client, os.environ["KAPI_ADMIN_TOKEN"])
    event_id = f"policy-retention-{clock.now():%H%M%S%f}"
    http("POST", "/api/events", _event_body(event_id))
    http("POST", f"/api/events/{event_id}/registrations", registration_body(), auth=False)
    ended = clock.now() - timedelta(days=2)
    http("PATCH", f"/api/events/{event_id}", {"starts_at": clock.iso(ended - timedelta(hours=4)),
                                                "ends_at": clock.iso(ended), "retention_days": 1})
    with recorder.during() as called:
        app_client.lambda_.invoke("erase_expired_personal_data", app_client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    assert called == policy_actions("erase_expired_personal_data")


def test_every_route_is_exercised_by_the_audit(app_client):
    from app import app
    declared = {(path, method) for path, methods in app.routes.items() for method in methods
                if not path.startswith("/static")}
    http = Http(app_client, os.environ["KAPI_ADMIN_TOKEN"])
    assert exercise_every_route(http, f"policy-routes-{clock.now():%H%M%S%f}") >= declared


def test_the_policy_files_are_the_ones_infra_policies_writes():
    assert policies.main(["--check"]) == 0
