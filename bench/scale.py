"""`make bench-scale`: the design load (SPEC §11), scaled down to what this machine can drive, against
one counter item and against the shards, with the local DynamoDB server's fault mode scaled the same.

DynamoDB allows ~1,000 write units a second per item (a transactional write costs 2) and cancels a
transaction that overlaps another on one of its items. Assuming an item is held ~5 ms per
transaction (`HOLD_MS`), the one-item design sees 5,000 registrations/s x 5 ms = 25 overlapping
transactions at a time. Driving `rate` registrations a second here, the factor is f = rate / 5,000,
so the server is set to allow f x 1,000 units a second per item and to hold items HOLD_MS / f: the
same write-unit ratio and the same overlap per item as at full load, in slow motion. The app's
retry backoff after a conflict is slowed down by the same factor (KAPI_RETRY_BASE_MS), or a retry
would come back while the transaction it met still held the item, which at full scale it does not;
so the clients wait as long as that takes (`CLIENT_TIMEOUT`).

The gate peak (~14 scans/s across lanes) is what this machine does natively: factor 1.

Each run starts its own local stack with KAPI_COUNTER_SHARDS/KAPI_DOOR_SHARDS = 1 (one item) or the
defaults (shards), sets up the event without faults, then turns faults on, drives an open-loop
schedule of requests and reports answers, p99 latency, the faults the server injected and the
oversell (confirmed registrations, counted from the registrations themselves, over capacity).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

DESIGN_REGISTRATIONS_PER_S = 5000
ITEM_UNITS_PER_S = 1000
HOLD_MS = 5.0
RETRY_BASE_MS = 25.0  # the app's default KAPI_RETRY_BASE_MS
CLIENT_TIMEOUT = 600  # seconds: six slowed-down retries of a registration take up to ~160 s


def scaled_faults(factor: float) -> dict:
    return {"item_writes_per_second": ITEM_UNITS_PER_S * factor, "transaction_ms": HOLD_MS / factor}


def run_stack(shards: dict[str, str], factor: float = 1.0):
    from tests.stack import LocalRun

    data_dir = Path(tempfile.mkdtemp(prefix="kapi-scale-"))
    run = LocalRun(data_dir, {"KAPI_RATE_LIMIT": "0", "AWS_ENDPOINT_URL_DYNAMODB": "", "KAPI_ADMIN_TOKEN": "scale",
                              "KAPI_DYNAMO_FAULTS": "", "KAPI_RETRY_BASE_MS": str(RETRY_BASE_MS / factor),
                              **shards}).start()
    os.environ.update({"AWS_ENDPOINT_URL_DYNAMODB": run.dynamodb_endpoint, "AWS_DEFAULT_REGION": "eu-central-1",
                       "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                       "KAPI_DATA_DIR": str(data_dir), **shards})
    from chalicelib import process
    from chalicelib.tickets.issuing import signer

    process.rebuild()  # the settings, and the tables and pipeline whose clients name the previous stack
    signer.cache_clear()  # tickets are signed with this stack's keys
    return run


def set_faults(run, **config) -> dict:
    request = urllib.request.Request(run.dynamodb_endpoint + "/_kapi/faults", method="PUT",
                                     data=json.dumps(config).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def drive(calls: list, rate: float, threads: int) -> list[tuple[int, str, float]]:
    """Start call n at n / rate seconds (open loop: a slow answer does not slow the arrivals)."""
    results: list[tuple[int, str, float]] = []
    lock = threading.Lock()
    started = time.perf_counter()

    def one(n_call):
        n, call = n_call
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        at = time.perf_counter()
        try:
            status, code = call()
        except requests.RequestException:  # no answer within the client's timeout
            status, code = 0, "timeout"
        with lock:
            results.append((status, code, time.perf_counter() - at))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, enumerate(calls)))
    return results


def report(results: list[tuple[int, str, float]], injected: dict, duration: float) -> dict:
    from bench.harness import percentile

    latencies = [seconds for _, _, seconds in results]
    answers: dict[str, int] = {}
    for status, code, _ in results:
        answers[f"{status} {code}".strip()] = answers.get(f"{status} {code}".strip(), 0) + 1
    return {"requests": len(results), "answers": answers, "p50_ms": round(statistics.median(latencies) * 1000),
            "p99_ms": round(percentile(latencies, 0.99) * 1000),
            "conflicts": injected.get("transaction_conflict", 0),
            "throttles": sum(v for k, v in injected.items() if "throttl" in k or "throughput" in k),
            "faults_injected": injected, "seconds": round(duration, 1)}


def burst(design: str, shards: dict[str, str], rate: float, seconds: float, capacity: int) -> dict:
    from chalicelib.process import tables
    db = tables()
    from tests.data import registration_body
    from tests.stack import Api

    factor = rate / DESIGN_REGISTRATIONS_PER_S
    run = run_stack(shards, factor)
    try:
        api = Api(run.url, "scale")
        event_id = f"burst-{uuid.uuid4().hex[:6]}"
        from tests.dates import day_at

        assert api.post("/api/events", token="scale", json={
            "id": event_id, "name": {"tr": "Açılış"}, "venue": "İzmir", "timezone": "Europe/Istanbul",
            "starts_at": day_at(60, "10:00"), "ends_at": day_at(60, "18:00"), "status": "published",
            "capacity": capacity}).status_code == 201
        local = threading.local()

        def register():
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            response = session.post(f"{run.url}/api/events/{event_id}/registrations", json=registration_body(),
                                    timeout=CLIENT_TIMEOUT)
            return response.status_code, response.json().get("status") or response.json().get("error", "")

        calls = int(rate * seconds)
        before = set_faults(run, **scaled_faults(factor))["injected"]
        started = time.perf_counter()
        results = drive([register] * calls, rate, threads=calls)  # a thread each: slow answers never delay arrivals
        duration = time.perf_counter() - started
        after = set_faults(run)["injected"]
        confirmed = sum(1 for _ in db.Registration.by_event_status.query(f"{event_id}#confirmed"))
        return {"design": design, "scenario": f"opening burst at 1/{round(1 / factor)} scale",
                "rate_per_s": rate, "capacity": capacity, "fault_mode": scaled_faults(factor),
                **report(results, _diff(after, before), duration),
                "confirmed": confirmed, "oversold": max(0, confirmed - capacity)}
    finally:
        run.stop()


def gate(design: str, shards: dict[str, str], rate: float, seconds: float) -> dict:
    from bench import checkin
    from tests.stack import Api

    run = run_stack(shards)
    try:
        api = Api(run.url, "scale")
        event_id, list_id, scanner = checkin._setup(api)
        tickets = checkin._tickets(event_id, int(rate * seconds))
        checkin._wait_for_ticket_emails()
        url = f"/api/events/{event_id}/checkin-lists/{list_id}/scans"
        local = threading.local()

        def scanning(secret):
            def scan():
                client = getattr(local, "client", None) or Api(run.url, "scale")
                local.client = client
                response = client.post(url, json={"secret": secret, "type": "entry", "nonce": uuid.uuid4().hex},
                                       token=scanner)
                return response.status_code, response.json().get("status") or response.json().get("error", "")
            return scan

        before = set_faults(run, **scaled_faults(1.0))["injected"]
        started = time.perf_counter()
        results = drive([scanning(secret) for _, secret in tickets], rate, threads=64)
        duration = time.perf_counter() - started
        after = set_faults(run)["injected"]
        admitted = api.get(f"/api/events/{event_id}/checkin-lists/{list_id}/status", token="scale").json()
        return {"design": design, "scenario": "gate peak at full scale", "rate_per_s": rate,
                "fault_mode": scaled_faults(1.0), **report(results, _diff(after, before), duration),
                "checked_in": admitted.get("checkin_count")}
    finally:
        run.stop()


def _diff(after: dict, before: dict) -> dict:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) - before.get(k, 0)}


DESIGNS = {"one item": {"KAPI_COUNTER_SHARDS": "1", "KAPI_DOOR_SHARDS": "1"},
           "shards": {"KAPI_COUNTER_SHARDS": "64", "KAPI_DOOR_SHARDS": "8"}}


def table(rows: list[dict]) -> str:
    lines = ["| scenario | design | requests | answers | conflicts | throttles | 503s | p99 ms | oversold |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        answers = ", ".join(f"{count}× {answer}" for answer, count in sorted(row["answers"].items()))
        unavailable = sum(count for answer, count in row["answers"].items() if answer.startswith("503"))
        lines.append(f"| {row['scenario']} | {row['design']} | {row['requests']} | {answers} | {row['conflicts']} | "
                     f"{row['throttles']} | {unavailable} | {row['p99_ms']} | {row.get('oversold', '—')} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=25.0, help="registrations a second driven here")
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--scan-rate", type=float, default=14.0)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    os.environ["KAPI_TABLE_PREFIX"] = f"kapi-scale-{uuid.uuid4().hex[:6]}-"  # before any model is imported
    rows = []
    for design, shards in DESIGNS.items():
        rows.append(burst(design, shards, args.rate, args.seconds, capacity=int(args.rate * args.seconds * 0.6)))
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    for design, shards in DESIGNS.items():
        rows.append(gate(design, shards, args.scan_rate, args.seconds))
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
