"""`make bench`: Kapı's performance numbers, measured on the local stack of this machine.

It starts its own local run (own DynamoDB server and data dir, rate limit off), then measures:
registrations per second over HTTP, DynamoDB calls per registration (counted with a botocore event
hook on the same code path, in this process), ticket emails composed per second (QR + MIME), and the
door and export benchmarks. Then, without the local run: the cold start from the unzipped package
(bench/cold_start.py) and the AWS cost model (bench/cost.py). Numbers print as a table and as JSON
(`--json PATH` to keep them; the last line is the headline object).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import cold_start
from bench.harness import local_stack, percentile
from tests.dates import day_at

ROOT = Path(__file__).resolve().parent.parent


def bench_registrations(api, count: int = 400, threads: int = 8) -> dict:
    from tests.data import registration_body

    event_id = f"bench-{uuid.uuid4().hex[:8]}"
    api.post("/api/events", token=api.admin_token, json={
        "id": event_id, "name": {"tr": "Ölçüm"}, "venue": "İzmir", "timezone": "Europe/Istanbul",
        "starts_at": day_at(60, "10:00"), "ends_at": day_at(60, "18:00"),
        "status": "published", "capacity": count // 2, "waitlist": True})

    def one(_):
        started = time.perf_counter()
        response = api.post(f"/api/events/{event_id}/registrations", json=registration_body())
        assert response.status_code == 201, response.text
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        latencies = list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - started
    return {"registrations": count, "threads": threads, "per_second": round(count / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p95_ms": round(percentile(latencies, 0.95) * 1000, 1)}


def bench_email_end_to_end(api, outbox_dir: Path, count: int = 300, threads: int = 8) -> dict:
    """Tickets delivered a second, from the first registration sent over HTTP to the last ticket's
    file in the outbox: the local run's email worker racing the API it serves."""
    from tests.data import registration_body

    event_id = f"bench-mail-{uuid.uuid4().hex[:8]}"
    created = api.post("/api/events", token=api.admin_token, json={
        "id": event_id, "name": {"tr": "Bilet ölçümü"}, "venue": "İzmir", "timezone": "Europe/Istanbul",
        "starts_at": day_at(60, "10:00"), "ends_at": day_at(60, "18:00"), "status": "published"})
    assert created.status_code == 201, created.text
    before = sum(1 for _ in outbox_dir.glob("*.eml"))

    def one(_):
        response = api.post(f"/api/events/{event_id}/registrations", json=registration_body())
        assert response.status_code == 201, response.text

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    registered = time.perf_counter()
    while sum(1 for _ in outbox_dir.glob("*.eml")) < before + count and time.perf_counter() - registered < 300:
        time.sleep(0.05)
    delivered = time.perf_counter()
    return {"tickets": count, "emails_per_second": round(count / (delivered - started), 1),
            "registrations_per_second": round(count / (registered - started), 1),
            "last_email_after_last_registration_s": round(delivered - registered, 2)}


def dynamodb_calls_per_registration(samples: int = 20) -> dict:
    """Registrations made in this process through the same service code, counting API calls."""
    from chalicelib.process import tables
    db = tables()
    from chalicelib.events import events
    from chalicelib.registration import registering
    from devstack.aws_calls import Recorder
    from tests.data import registration_body

    event_id = f"bench-calls-{uuid.uuid4().hex[:6]}"
    with Recorder().installed() as recorder:
        events.create(db, {"id": event_id, "name": {"en": "Calls", "tr": "Çağrılar"}, "venue": "Baku",
                       "timezone": "Asia/Baku", "starts_at": day_at(60, "10:00", "Asia/Baku"),
                       "ends_at": day_at(60, "18:00", "Asia/Baku"), "status": "published", "capacity": 1000})
        registering.register(db, event_id, registration_body(), client_key="bench", rate_limit=30)  # warm clients
        with recorder.recording() as recorded:
            for _ in range(samples):
                registering.register(db, event_id, registration_body(), client_key="bench", rate_limit=0)
    calls = [call.operation for call in recorded if call.service == "dynamodb"]
    by_operation = {name: calls.count(name) / samples for name in sorted(set(calls))}
    return {"calls_per_registration": len(calls) / samples, "by_operation": by_operation}


def bench_compose(count: int = 200) -> dict:
    from chalicelib.common.ids import new_registration_id
    from chalicelib.mail.compose import compose
    from chalicelib.tickets.links import ticket_links
    from chalicelib.tickets.secrets import Keyring, TicketSigner

    signer = TicketSigner(Keyring.generate())
    event = {"id": "bench", "name": {"tr": "İzmir–Bakü Festivali"}, "venue": "Kültürpark",
             "starts_at": day_at(60, "10:00"), "ends_at": day_at(60, "18:00"),
             "timezone": "Europe/Istanbul"}
    started = time.perf_counter()
    for _ in range(count):
        rid = new_registration_id()
        secret = signer.issue("bench", rid, 0)
        bytes(compose("confirmed", registration={"id": rid, "name": "Şengül Əliyeva", "email": "s@example.org",
                                                 "ticket_type_name": "Genel"},
                      event=event, language="tr", sender="Kapı <t@kapi.example>", ticket={"secret": secret},
                      links=ticket_links("https://kapi.example", signer.manage(rid, 0), "bench")))
    elapsed = time.perf_counter() - started
    return {"emails": count, "per_second": round(count / elapsed, 1)}


def cost_model() -> dict:
    """`python -m bench.cost` in a process of its own: it runs its own DynamoDB server and settings."""
    finished = subprocess.run([sys.executable, "-m", "bench.cost"], cwd=ROOT, check=True, capture_output=True,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    with local_stack() as api:
        results = {
            "email_end_to_end": bench_email_end_to_end(api, Path(os.environ["KAPI_DATA_DIR"]) / "outbox"),
            "registration": bench_registrations(api),
            "dynamodb": dynamodb_calls_per_registration(),
            "ticket_email": bench_compose(),
        }
        results.update(_companions(api))
    results["cold_start"] = cold_start.run()
    results["cost"] = cost_model()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    headline = summary(results)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(table(headline))
    print(json.dumps(headline, ensure_ascii=False))  # the last line: one object, for comparing runs


# The headline numbers, one line of JSON at the end of `make bench`.
HEADLINE = {
    "emails_per_s": ("ticket emails delivered a second, end to end", ("email_end_to_end", "emails_per_second")),
    "registrations_per_s": ("registrations a second over HTTP, 8 clients", ("registration", "per_second")),
    "scans_per_s": ("door scans a second over HTTP, 8 clients", ("checkin", "scans_per_second")),
    "scan_raw_ratio": ("scan endpoint / same raw TransactWriteItems, p50", ("checkin", "scan_over_raw_transaction")),
    "import_ratio": ("cold start, packaged with bytecode: import app / import boto3", ("cold_start", "app_over_boto3")),
    "import_app_ms": ("cold start: import app from the unzipped package, precompiled",
                      ("cold_start", "import_app_precompiled_ms")),
    "usd_per_1000_attendees": ("AWS cost per 1,000 attendees (event of 1,000)", ("cost", "usd_per_1000_attendees")),
}


def summary(results: dict) -> dict:
    found = {}
    for name, (_, (section, key)) in HEADLINE.items():
        found[name] = results.get(section, {}).get(key)
    return found


def table(headline: dict) -> str:
    rows = [f"| {'number':<26} | {'value':>8} | what |", f"|{'-' * 28}|{'-' * 10}|------|"]
    for name, (what, _) in HEADLINE.items():
        value = headline[name]
        rows.append(f"| {name:<26} | {'n/a' if value is None else value:>8} | {what} |")
    return "\n".join(rows)


def _companions(api) -> dict:
    """The door and export benchmarks live beside the code they measure."""
    from bench import checkin, export, offline_bundle

    return {"checkin": checkin.run(api.base_url, api.admin_token),
            "export": export.run(api.base_url, api.admin_token),
            "offline_bundle": offline_bundle.run(api.base_url, api.admin_token)}


if __name__ == "__main__":
    main()
