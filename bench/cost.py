"""What an event costs on AWS per 1,000 attendees, from what Kapı's code does on this machine: the whole
day, every part (issue 23): attendees' API calls and the pages and static files their browsers fetch,
the ticket email, the door's scans, the scanners' polls and bundle syncs, the organiser's dashboard,
DynamoDB's index writes, Lambda's INIT time, and the stage's fixed monthly costs.

Each step of an attendee's day runs here, in this process, through the deployed handlers (Chalice's
test client: the API, and the outbox stream function for the ticket email) against a local DynamoDB
server: the registration, its ticket email, an entry and an exit scan, and the organiser's dashboard
refreshing its live view. Every AWS call is recorded (devstack/aws_calls.py): DynamoDB capacity units
from the sizes actually written and read, emails and their bytes from the SES calls. Lambda time is
the handler's wall time here (a shared development machine: slower than Lambda, so the figure errs
high), billed at the memory `.chalice/config.json` gives the function. Prices are eu-central-1 list
prices; the dashboard is open for a whole event day, refreshing every few seconds, whatever the
attendee count, so its share shrinks as the event grows.

Measured per request here, then multiplied by what a browser does (ASSUMPTIONS, each in the README):
- pages: an attendee opens the event page once (its static files too, first visit) and the ticket page
  twice, on another device than the form (its static files once: they are `immutable` for a year), each
  visit with its QR image (`no-store`);
- scanners: `scanners` phones per event, each polling its list's counts every 10 s and syncing the
  offline bundle incrementally every 2 minutes (`?since=`, which reads the event's whole `by_event`
  index: read units scale with the registrations, at the registration items' measured size), plus the
  scanner page, its files and the 1 MB decoder once per phone;
- index writes: every write to a table also writes each of its global secondary indexes (all of them
  project ALL), one unit per KB, an upper bound (an index skips items without its key);
- INIT: each Lambda instance's start is billed (since August 2025) for its INIT time;
- fixed monthly costs of a stage (alarm metrics) spread over the month's events of that size.

    python -m bench.cost          # a table, and the JSON object last
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

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
PRICES["alarm_metric_month"] = 0.10        # CloudWatch standard-resolution alarm, per metric
# Per invocation: Lambda's START/END/REPORT lines and Kapı's one JSON request line.
LOG_BYTES_PER_INVOCATION = 600
DASHBOARD_HOURS = 8
DASHBOARD_REFRESH_SECONDS = 5
SAMPLES = 12
# What browsers and the door do around the API (README "What it costs", the assumptions).
SCANNERS = {1_000: 2, 100_000: 40}          # phones at the doors
DOOR_HOURS = {1_000: 3, 100_000: 8}
SCANNER_STATUS_SECONDS = 10                 # static/scan/main.js STATUS_MS
SCANNER_BUNDLE_SECONDS = 120                # BUNDLE_REFRESH_MS
EVENTS_PER_MONTH = 4                        # of that size, on the stage the fixed costs are spread over
INIT_SECONDS = 0.6                          # a cold start's INIT (import app precompiled, runtime start)
COLD_STARTS_PER_1000 = 10                   # instances started per 1,000 attendees (scaled from the burst)
# Reading an index item by item in Lambda (Query pages, parsing), per registration, for the bundle sync.
LAMBDA_SECONDS_PER_INDEX_ITEM = 20e-6


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
    index_write_units: float = 0.0

    def usd(self) -> float:
        return (self.api_requests * PRICES["api_request"] + self.invocations * PRICES["lambda_request"]
                + self.gb_seconds * PRICES["lambda_gb_second"]
                + (self.write_units + self.index_write_units) * PRICES["write_unit"]
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
        step.index_write_units += sum(index_write_units(call) for call in calls)
        step.read_units += sum(call.read_units() for call in calls)
        sent = [call for call in calls if call.operation == "SendRawEmail"]
        step.emails += len(sent)
        step.email_bytes += sum(len(call.params["RawMessage"]["Data"]) for call in sent)
        return result

    def request(self, step: Step, method: str, path: str, body=None, token: str | None = None) -> dict:
        response = self.fetch(step, method, path, body, token)
        return json.loads(response.body) if response.body else {}

    def fetch(self, step: Step, method: str, path: str, body=None, token: str | None = None):
        headers = {"Content-Type": "application/json", "Accept": "*/*",
                   **({"Authorization": f"Bearer {token}"} if token else {})}
        response = self._measure(step, "api_handler", lambda: self.client.http.request(
            method, path, headers=headers, body=json.dumps(body).encode() if body is not None else b""))
        step.api_requests += 1
        assert response.status_code < 400, (path, response.status_code, response.body)
        return response

    def visit(self, step: Step, path: str, cached: set[str]) -> None:
        """A browser opening a page: the HTML, then each static file and image it names that the
        browser does not hold yet (`cached`: the immutable static files it already fetched)."""
        html = self.fetch(step, "GET", path).body.decode("utf-8")
        named = re.findall(r'src="(/api/[^"]+)"', html) + re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
        for asset in dict.fromkeys(named):  # images from the API every visit; static files once
            if asset.startswith("/api/") or asset not in cached:
                self.fetch(step, "GET", asset)
                if asset.startswith("/static/"):
                    cached.add(asset)

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
    steps = {name: Step() for name in ("pages", "registration", "ticket_email", "entry_scan", "exit_scan",
                                       "dashboard_refresh", "scanner_poll", "bundle_sync", "scanner_setup")}
    sizes = []
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
        form_device: set[str] = set()
        meter.visit(steps["pages"], f"/e/{event_id}", form_device)
        phone: set[str] = set()
        meter.visit(steps["pages"], f"/t/{secret}", phone)
        meter.visit(steps["pages"], f"/t/{secret}", phone)
        meter.request(steps["scanner_poll"], "GET", f"/api/events/{event_id}/checkin-lists/{gate['id']}/status",
                      token=admin)
        bundle = f"/api/events/{event_id}/offline-bundle"
        token = meter.request(Step(), "GET", bundle, token=admin)["sync_token"]
        meter.request(steps["bundle_sync"], "GET", f"{bundle}?since={quote(token, safe='')}", token=admin)
        meter.visit(steps["scanner_setup"], "/scan", set())
        sizes.append(len(json.dumps(db.Registration.get(registration["id"]).serialize())))
    for step in steps.values():
        for name, value in asdict(step).items():
            setattr(step, name, value / SAMPLES)
    steps["scanner_setup"].api_requests += 1  # the decoder wasm, fetched by the page's script (not in its HTML)
    steps["scanner_setup"].invocations += 1
    REGISTRATION_ITEM_BYTES[0] = sum(sizes) / len(sizes)
    return steps


REGISTRATION_ITEM_BYTES = [600.0]  # measured by `measure` (a registration item's stored size)


def index_write_units(call) -> float:
    """The units a write also costs in the table's global secondary indexes (see the docstring)."""
    if call.service != "dynamodb":
        return 0.0
    per_table: dict[str, float] = {}
    if call.operation == "TransactWriteItems":
        for item in call.params["TransactItems"]:
            [(kind, write)] = item.items()
            if kind != "ConditionCheck":
                per_table[write["TableName"]] = per_table.get(write["TableName"], 0.0) + 1
    elif call.operation in ("PutItem", "UpdateItem", "DeleteItem"):
        per_table[call.params["TableName"]] = 1.0
    elif call.operation == "BatchWriteItem":
        for table, writes in call.params["RequestItems"].items():
            per_table[table] = len(writes)
    return sum(count * _indexes(table) for table, count in per_table.items())


def _indexes(table_name: str) -> int:
    from chalicelib.storage.models import ALL_MODELS
    from chalicelib.storage.tables import short_name

    for model in ALL_MODELS:
        if table_name.endswith(short_name(model)):
            return len(model._get_schema()["global_secondary_indexes"])
    return 0


def fixed_monthly_usd() -> dict:
    """A stage's costs that do not depend on use: its alarms' metrics (the prod template's)."""
    from infra import template
    from infra.stages import load_stage

    alarms = [r for r in template.build(load_stage("prod"))["Resources"].values()
              if r.get("Type") == "AWS::CloudWatch::Alarm"]
    metrics = sum(len([m for m in a["Properties"].get("Metrics", []) if "MetricStat" in m]) or 1 for a in alarms)
    return {"alarms": len(alarms), "alarm_metrics": metrics, "usd": round(metrics * PRICES["alarm_metric_month"], 2)}


def _secret(registration_id: str) -> str:
    from chalicelib.process import tables
    db = tables()
    from chalicelib.tickets import issuing

    return issuing.secret_for(db.Registration.get(registration_id))


PER_EVENT = ("dashboard_refresh", "scanner_poll", "bundle_sync", "scanner_setup")


def costs(steps: dict[str, Step], attendees: int) -> dict:
    """USD for an event of `attendees`: each attendee's steps, one dashboard open all day, the scanners,
    Lambda's INIT time and the stage's fixed monthly costs spread over EVENTS_PER_MONTH events."""
    per_attendee = {name: step.usd() for name, step in steps.items() if name not in PER_EVENT}
    refreshes = DASHBOARD_HOURS * 3600 / DASHBOARD_REFRESH_SECONDS
    total = {name: usd * attendees for name, usd in per_attendee.items()}
    total["dashboard"] = steps["dashboard_refresh"].usd() * refreshes
    scanners, door_seconds = SCANNERS[attendees], DOOR_HOURS[attendees] * 3600
    total["scanner_polls"] = scanners * door_seconds / SCANNER_STATUS_SECONDS * steps["scanner_poll"].usd()
    syncs = scanners * door_seconds / SCANNER_BUNDLE_SECONDS
    whole_index = Step(read_units=attendees * REGISTRATION_ITEM_BYTES[0] / 4096 * 0.5,
                       gb_seconds=attendees * LAMBDA_SECONDS_PER_INDEX_ITEM * memory_gb()["api_handler"])
    total["bundle_syncs"] = syncs * (steps["bundle_sync"].usd() + whole_index.usd())
    total["scanner_pages"] = scanners * steps["scanner_setup"].usd()
    cold_starts = COLD_STARTS_PER_1000 * attendees / 1000
    total["lambda_init"] = cold_starts * INIT_SECONDS * memory_gb()["api_handler"] * PRICES["lambda_gb_second"]
    total["fixed_monthly_share"] = fixed_monthly_usd()["usd"] / EVENTS_PER_MONTH
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
            from chalicelib.process import tables

            tables().create()
            steps = measure(Meter(client, recorder), admin, queue)
    return {"steps": {name: {k: round(v, 4) for k, v in asdict(step).items()} | {"usd": round(step.usd(), 8)}
                      for name, step in steps.items()},
            "events": [costs(steps, attendees) for attendees in (1_000, 100_000)],
            "fixed_monthly": fixed_monthly_usd(), "registration_item_bytes": round(REGISTRATION_ITEM_BYTES[0]),
            "prices": PRICES}


def table(result: dict) -> str:
    rows = ["| step | API requests | Lambda GB-s | write units | index write units | read units | emails | USD |",
            "|---|---|---|---|---|---|---|---|"]
    for name, step in result["steps"].items():
        rows.append(f"| {name} | {step['api_requests']:g} | {step['gb_seconds']:.4f} | {step['write_units']:g} | "
                    f"{step['index_write_units']:g} | {step['read_units']:g} | {step['emails']:g} | "
                    f"{step['usd']:.7f} |")
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
