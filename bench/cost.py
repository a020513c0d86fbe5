"""What an event costs on AWS per 1,000 attendees, from what Kapı's code does on this machine.

Each step of an attendee's day runs here, in this process, through the deployed handlers (Chalice's
test client: the API, and the outbox stream function for the ticket email) against a local DynamoDB
server: the registration, its ticket email, an entry and an exit scan, and the organiser's dashboard
refreshing its live view. Every AWS call is recorded (devstack/aws_calls.py): DynamoDB capacity units
from the sizes actually written and read, emails and their bytes from the SES calls. Lambda time is
the handler's wall time here (a shared development machine: slower than Lambda, so the figure errs
high), billed at the memory `.chalice/config.json` gives the function. Prices are eu-central-1 list
prices; the dashboard is open for a whole event day, refreshing every few seconds, whatever the
attendee count, so its share shrinks as the event grows.

    python -m bench.cost          # a table, and the JSON object last
"""
from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# eu-central-1 (Frankfurt) list prices in USD, read from the AWS pricing pages for Lambda, API Gateway,
# DynamoDB (on-demand), SES and CloudWatch in December 2026. Free tiers are left out.
PRICES = {
    "api_request": 3.70 / 1e6,              # API Gateway REST API, first 333 million a month
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.0000166667,       # x86
    "write_unit": 0.7625 / 1e6,             # DynamoDB on-demand write request unit
    "read_unit": 0.1525 / 1e6,              # DynamoDB on-demand read request unit
    "email": 0.10 / 1000,                   # SES outbound
    "email_gb": 0.12,                       # SES attachments data (the inline QR and .ics count)
    "log_gb": 0.63,                         # CloudWatch Logs ingestion
}
# Per invocation: Lambda's START/END/REPORT lines and Kapı's one JSON request line.
LOG_BYTES_PER_INVOCATION = 600
DASHBOARD_HOURS = 8
DASHBOARD_REFRESH_SECONDS = 5
SAMPLES = 12


@dataclass
class Step:
    """One step of an attendee's day, averaged over the samples."""
    api_requests: float = 0.0
    invocations: float = 0.0
    gb_seconds: float = 0.0
    write_units: float = 0.0
    read_units: float = 0.0
    emails: float = 0.0
    email_bytes: float = 0.0

    def usd(self) -> float:
        return (self.api_requests * PRICES["api_request"] + self.invocations * PRICES["lambda_request"]
                + self.gb_seconds * PRICES["lambda_gb_second"] + self.write_units * PRICES["write_unit"]
                + self.read_units * PRICES["read_unit"] + self.emails * PRICES["email"]
                + self.email_bytes / 1e9 * PRICES["email_gb"]
                + self.invocations * LOG_BYTES_PER_INVOCATION / 1e9 * PRICES["log_gb"])


def memory_gb() -> dict[str, float]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return {name: settings.get("lambda_memory_size", 128) / 1024
            for name, settings in config.get("lambda_functions", {}).items()}


class Meter:
    """Runs handlers through the test client and adds what each costs to a step."""

    def __init__(self, client, recorder) -> None:
        self.client, self.recorder, self.memory = client, recorder, memory_gb()

    def _measure(self, step: Step, function: str, run):
        with self.recorder.recording() as calls:
            started = time.perf_counter()
            result = run()
            seconds = time.perf_counter() - started
        step.invocations += 1
        step.gb_seconds += seconds * self.memory[function]
        step.write_units += sum(call.write_units() for call in calls)
        step.read_units += sum(call.read_units() for call in calls)
        sent = [call for call in calls if call.operation == "SendRawEmail"]
        step.emails += len(sent)
        step.email_bytes += sum(len(call.params["RawMessage"]["Data"]) for call in sent)
        return result

    def request(self, step: Step, method: str, path: str, body=None, token: str | None = None) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "*/*",
                   **({"Authorization": f"Bearer {token}"} if token else {})}
        response = self._measure(step, "api_handler", lambda: self.client.http.request(
            method, path, headers=headers, body=json.dumps(body).encode() if body is not None else b""))
        step.api_requests += 1
        assert response.status_code < 400, (path, response.status_code, response.body)
        return json.loads(response.body) if response.body else {}

    def stream(self, step: Step, message_id: str) -> None:
        batch = {"Records": [{"eventName": "INSERT", "dynamodb": {"Keys": {"id": {"S": message_id}},
                                                                  "SequenceNumber": "1"}}]}
        answer = self._measure(step, "outbox_stream", lambda: self.client.lambda_.invoke("outbox_stream", batch))
        assert answer.payload == {"batchItemFailures": []}


def measure(meter: Meter, admin: str, queue: str) -> dict[str, Step]:
    """The steps of SAMPLES attendees of one event, averaged per attendee (dashboard: per refresh)."""
    from chalicelib.process import tables
    db = tables()
    from chalicelib.common import clock
    from tests.data import registration_body

    start = clock.now() + timedelta(days=30)
    event_id = f"cost-{uuid.uuid4().hex[:8]}"
    setup = Step()
    meter.request(setup, "POST", "/api/events", {
        "id": event_id, "name": {"tr": "Maliyet", "az": "Xərc", "en": "Cost"}, "venue": "İzmir",
        "timezone": "Europe/Istanbul", "starts_at": clock.iso(start), "ends_at": clock.iso(start + timedelta(hours=8)),
        "status": "published", "capacity": 10 * SAMPLES}, admin)
    gate = meter.request(setup, "POST", f"/api/events/{event_id}/checkin-lists", {"name": "Ana kapı"}, admin)
    scans = f"/api/events/{event_id}/checkin-lists/{gate['id']}/scans"
    steps = {name: Step() for name in ("registration", "ticket_email", "entry_scan", "exit_scan", "dashboard_refresh")}
    for _ in range(SAMPLES):
        registration = meter.request(steps["registration"], "POST", f"/api/events/{event_id}/registrations",
                                     registration_body(name="Şengül Əliyeva"))
        [message] = [m for m in db.OutboxMessage.by_due.query(queue) if m.registration_id == registration["id"]]
        meter.stream(steps["ticket_email"], message.id)
        secret = _secret(registration["id"])
        meter.request(steps["entry_scan"], "POST", scans, {"secret": secret, "type": "entry"}, admin)
        meter.request(steps["exit_scan"], "POST", scans, {"secret": secret, "type": "exit"}, admin)
        for path in (f"/api/events/{event_id}/attendance", f"/api/events/{event_id}/checkin-lists"):
            meter.request(steps["dashboard_refresh"], "GET", path, token=admin)
    for step in steps.values():
        for name, value in asdict(step).items():
            setattr(step, name, value / SAMPLES)
    return steps


def _secret(registration_id: str) -> str:
    from chalicelib.process import tables
    db = tables()
    from chalicelib.tickets import issuing

    return issuing.secret_for(db.Registration.get(registration_id))


def costs(steps: dict[str, Step], attendees: int) -> dict:
    """USD for an event of `attendees`: each attendee's steps, plus one dashboard open all day."""
    per_attendee = {name: step.usd() for name, step in steps.items() if name != "dashboard_refresh"}
    refreshes = DASHBOARD_HOURS * 3600 / DASHBOARD_REFRESH_SECONDS
    total = {name: usd * attendees for name, usd in per_attendee.items()}
    total["dashboard"] = steps["dashboard_refresh"].usd() * refreshes
    return {"attendees": attendees, "usd": {k: round(v, 4) for k, v in total.items()},
            "usd_total": round(sum(total.values()), 4),
            "usd_per_1000_attendees": round(sum(total.values()) / attendees * 1000, 4)}


def run() -> dict:
    """Starts its own local DynamoDB server and measures; returns the cost model's figures."""
    import boto3

    from devstack import aws_calls
    from devstack.dynamo_process import DynamoProcess

    data = Path(tempfile.mkdtemp(prefix="kapi-cost-"))
    queue, prefix, admin = "cost", f"kapi-cost-{uuid.uuid4().hex[:6]}-", "cost-admin"
    os.environ.update({"AWS_DEFAULT_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "local",
                       "AWS_SECRET_ACCESS_KEY": "local", "KAPI_TABLE_PREFIX": prefix, "KAPI_DATA_DIR": str(data)})
    with DynamoProcess(data / "dynamodb") as dynamo:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamo.endpoint
        boto3.client("ses", endpoint_url=dynamo.endpoint).verify_domain_identity(Domain="cost.kapi.example")
        environment = {"KAPI_TABLE_PREFIX": prefix, "KAPI_MAIL_TRANSPORT": "ses", "KAPI_RATE_LIMIT": "0",
                       "KAPI_MAIL_FROM": "Kapı <bilet@cost.kapi.example>", "AWS_ENDPOINT_URL_SES": dynamo.endpoint,
                       "KAPI_OUTBOX_QUEUE": queue, "KAPI_SIGNING_KEY_SOURCE": "file", "KAPI_ADMIN_TOKEN": admin,
                       "KAPI_DATA_DIR": str(data)}
        with aws_calls.Recorder().installed() as recorder, \
                aws_calls.app_client(data / "project", environment) as client:
            from chalicelib.storage.tables import create_tables

            create_tables()
            steps = measure(Meter(client, recorder), admin, queue)
    return {"steps": {name: {k: round(v, 4) for k, v in asdict(step).items()} | {"usd": round(step.usd(), 8)}
                      for name, step in steps.items()},
            "events": [costs(steps, attendees) for attendees in (1_000, 100_000)],
            "prices": PRICES}


def table(result: dict) -> str:
    rows = ["| step | API requests | Lambda GB-s | write units | read units | emails | USD |",
            "|---|---|---|---|---|---|---|"]
    for name, step in result["steps"].items():
        rows.append(f"| {name} | {step['api_requests']:g} | {step['gb_seconds']:.4f} | {step['write_units']:g} | "
                    f"{step['read_units']:g} | {step['emails']:g} | {step['usd']:.7f} |")
    rows += ["", "| attendees | " + " | ".join(result["events"][0]["usd"]) + " | total | per 1,000 |",
             "|---|" + "---|" * (len(result["events"][0]["usd"]) + 2)]
    for event in result["events"]:
        rows.append(f"| {event['attendees']:,} | " + " | ".join(f"{v:.2f}" for v in event["usd"].values())
                    + f" | {event['usd_total']:.2f} | {event['usd_per_1000_attendees']:.3f} |")
    return "\n".join(rows)


def main() -> None:
    result = run()
    print(table(result))
    print(json.dumps({"usd_per_1000_attendees": result["events"][0]["usd_per_1000_attendees"],
                      "usd_per_1000_attendees_at_100000": result["events"][1]["usd_per_1000_attendees"]}))


if __name__ == "__main__":
    main()
