"""Door check-in benchmark on the local stack: scans per second, scan latency, DynamoDB calls per scan,
and the scan endpoint's latency against the same TransactWriteItems sent directly with boto3.

`run(api_base_url, admin_token)` drives a running local run over HTTP. Attendees are registered and
their tickets signed in this process, so the process's environment must name the same DynamoDB
endpoint, table prefix and KAPI_DATA_DIR (signing keys) as the server, as `bench/benchmark.py` and
the test fixtures arrange.

How each number is taken:
- scans/s, p50, p95: entry scans of distinct tickets over HTTP from `threads` clients at once, after
  the ticket emails of the registrations made for the run have been delivered.
- DynamoDB calls per scan: the whole request handler (auth, list, scan) runs in this process through
  `chalice.test.Client` with `botocore.client.BaseClient._make_api_call` wrapped to count every
  DynamoDB API call (botocore's own HTTP retries, if any, are inside one call). Caches are warm, as
  in a Lambda instance that has served a request.
- ratio: sequential HTTP scans interleaved with raw `transact_write_items` calls from a plain boto3
  client. The raw request is the one a scan sent (captured by the same wrapper), with the ticket's
  registration id and nonce swapped for a fresh ticket's, so it writes the same items under the same
  conditions. Both medians are taken in the same run, against the same server, over 300 pairs (100 pairs
  moved the ratio by ±0.05 between rounds of one run).
"""
from __future__ import annotations

import copy
import json
import logging
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Iterator

from tests.dates import day_at


def run(api_base_url: str, admin_token: str, scans: int = 400, threads: int = 8, pairs: int = 300,
        samples: int = 50) -> dict:
    from tests.stack import Api

    api = Api(api_base_url, admin_token)
    event_id, list_id, scanner = _setup(api)
    tickets = iter(_tickets(event_id, scans + 2 * pairs + samples + 2))
    _wait_for_ticket_emails()
    url = f"/api/events/{event_id}/checkin-lists/{list_id}/scans"
    throughput = _throughput(api, url, scanner, [next(tickets) for _ in range(scans)], threads)
    calls, template = _calls_per_scan(url, scanner, [next(tickets) for _ in range(samples + 1)])
    ratio = _against_raw_transaction(api, url, scanner, template, [next(tickets) for _ in range(2 * pairs)])
    return {"scans": scans, "threads": threads, **throughput, **calls, **ratio}


def scan_over_raw(api, pairs: int = 300) -> dict:
    """The ratio alone, on an event of its own (bench/scan_steps.py times the scans' steps meanwhile)."""
    event_id, list_id, scanner = _setup(api)
    tickets = _tickets(event_id, 2 * pairs + 2)
    _wait_for_ticket_emails()
    url = f"/api/events/{event_id}/checkin-lists/{list_id}/scans"
    _, template = _calls_per_scan(url, scanner, tickets[:2])
    return _against_raw_transaction(api, url, scanner, template, tickets[2:])


def _setup(api) -> tuple[str, str, str]:
    event_id = f"bench-door-{uuid.uuid4().hex[:8]}"
    created = api.post("/api/events", token=api.admin_token, json={
        "id": event_id, "name": {"tr": "Kapı ölçümü"}, "venue": "Kültürpark, İzmir", "timezone": "Europe/Istanbul",
        "starts_at": day_at(60, "10:00"), "ends_at": day_at(60, "18:00"), "status": "published"})
    assert created.status_code == 201, created.text
    gate = api.post(f"/api/events/{event_id}/checkin-lists", token=api.admin_token, json={"name": "Ana kapı"})
    assert gate.status_code == 201, gate.text
    scanner = api.post("/api/tokens", token=api.admin_token, json={"role": "scanner", "events": [event_id]})
    assert scanner.status_code == 201, scanner.text
    return event_id, gate.json()["id"], scanner.json()["token"]


def _tickets(event_id: str, count: int) -> list[tuple[str, str]]:
    """(registration id, secret) of `count` confirmed attendees, registered in-process in parallel."""
    from chalicelib.process import tables
    db = tables()
    from chalicelib.registration import registering
    from chalicelib.tickets.issuing import signer
    from tests.data import registration_body

    def one(_) -> tuple[str, str]:
        outcome = registering.register(db, event_id, registration_body(), client_key="bench-door", rate_limit=0)
        assert outcome.status == 201, outcome.body
        return outcome.body["id"], signer().issue(event_id, outcome.body["id"], 0)

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(one, range(count)))


def _wait_for_ticket_emails(limit_seconds: float = 300) -> None:
    """Let the local run's email worker finish the tickets' emails first: at an event they went out
    days before the doors open, and here they would compete with the scans for the DynamoDB server."""
    from chalicelib.process import tables
    db = tables()
    from chalicelib.common.config import settings

    deadline = time.monotonic() + limit_seconds
    while any(db.OutboxMessage.by_due.query(settings().outbox_queue, limit=1)) and time.monotonic() < deadline:
        time.sleep(0.5)


def _throughput(api, url: str, scanner: str, tickets: list[tuple[str, str]], threads: int) -> dict:
    from bench.harness import percentile
    from tests.stack import Api

    local = threading.local()

    def scan(ticket: tuple[str, str]) -> float:
        client = getattr(local, "client", None) or Api(api.base_url, api.admin_token)
        local.client = client
        started = time.perf_counter()
        response = client.post(url, json={"secret": ticket[1], "type": "entry", "nonce": uuid.uuid4().hex},
                               token=scanner)
        elapsed = time.perf_counter() - started
        if response.status_code != 201:
            raise RuntimeError(f"scan refused ({response.text}): does this process share the server's "
                               "DynamoDB endpoint, table prefix and KAPI_DATA_DIR?")
        return elapsed

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        latencies = list(pool.map(scan, tickets))
    elapsed = time.perf_counter() - started
    return {"scans_per_second": round(len(tickets) / elapsed, 1), "p50_ms": _ms(statistics.median(latencies)),
            "p95_ms": _ms(percentile(latencies, 0.95))}


def _calls_per_scan(url: str, scanner: str, tickets: list[tuple[str, str]]) -> tuple[dict, dict]:
    """DynamoDB calls of the whole handler per successful and per refused scan, and one scan's transaction."""
    from chalice.test import Client

    from app import app

    headers = {"Authorization": f"Bearer {scanner}", "Content-Type": "application/json"}

    def scan(secret: str) -> int:
        body = json.dumps({"secret": secret, "type": "entry", "nonce": uuid.uuid4().hex})
        return client.http.post(url, body=body, headers=headers).status_code

    logging.getLogger("kapi").setLevel(logging.WARNING)  # the in-process handler's request lines
    with Client(app) as client, _dynamodb_calls() as calls:
        assert scan(tickets[0][1]) == 201  # warms the token, list and event caches and the clients
        calls.clear()
        assert all(scan(secret) == 201 for _, secret in tickets[1:])
        ok = [name for name, _ in calls]
        template = [params for name, params in calls if name == "TransactWriteItems"][-1]  # tickets[-1]
        calls.clear()
        assert all(scan(secret) == 400 for _, secret in tickets[1:])
        refused = [name for name, _ in calls]
    samples = len(tickets) - 1
    return ({"dynamodb_calls_per_successful_scan": len(ok) / samples,
             "dynamodb_calls_per_refused_scan": len(refused) / samples,
             "successful_scan_calls": {name: ok.count(name) / samples for name in sorted(set(ok))},
             "refused_scan_calls": {name: refused.count(name) / samples for name in sorted(set(refused))},
             "calls_counted_by": "BaseClient._make_api_call wrapper around the in-process handler, warm caches"},
            {"params": template, "registration_id": tickets[-1][0]})


def _against_raw_transaction(api, url: str, scanner: str, template: dict, tickets: list[tuple[str, str]]) -> dict:
    import boto3

    from chalicelib.common.config import settings

    raw = boto3.client("dynamodb", region_name=settings().region)
    text = json.dumps(template["params"])
    nonce = next(item["Put"]["Item"]["nonce"]["S"] for item in template["params"]["TransactItems"]
                 if "Put" in item and "nonce" in item["Put"]["Item"])

    def raw_transaction(registration_id: str) -> float:
        params = json.loads(text.replace(template["registration_id"], registration_id)
                            .replace(nonce, uuid.uuid4().hex))
        started = time.perf_counter()
        raw.transact_write_items(**params)
        return time.perf_counter() - started

    def http_scan(secret: str) -> float:
        started = time.perf_counter()
        response = api.post(url, json={"secret": secret, "type": "entry", "nonce": uuid.uuid4().hex}, token=scanner)
        elapsed = time.perf_counter() - started
        assert response.status_code == 201, response.text
        return elapsed

    http_times, raw_times = [], []
    for (_, secret), (registration_id, _) in zip(tickets[::2], tickets[1::2]):
        http_times.append(http_scan(secret))
        raw_times.append(raw_transaction(registration_id))
    scan_ms, raw_ms = statistics.median(http_times), statistics.median(raw_times)
    return {"sequential_scan_p50_ms": _ms(scan_ms), "raw_transaction_p50_ms": _ms(raw_ms),
            "scan_over_raw_transaction": round(scan_ms / raw_ms, 2)}


@contextmanager
def _dynamodb_calls() -> Iterator[list[tuple[str, dict]]]:
    """Every DynamoDB API call any botocore client in this process makes meanwhile: (operation, params)."""
    from botocore.client import BaseClient

    calls: list[tuple[str, dict]] = []
    original = BaseClient._make_api_call

    def counting(self, operation_name, api_params):
        if self.meta.service_model.service_name == "dynamodb":
            calls.append((operation_name, copy.deepcopy(api_params)))
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counting
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m bench.checkin API_BASE_URL ADMIN_TOKEN  (environment as described above)")
    print(json.dumps(run(sys.argv[1], sys.argv[2]), indent=2))
