"""Offline bundle benchmark: an event of 20,000 registrations, its bundle's size and download time, and
how long the scanner page takes to decide offline from it, measured in Chromium.

`run(api_base_url, admin_token)` needs a running local run and this process's environment naming the
same DynamoDB endpoint, table prefix and KAPI_DATA_DIR (signing keys), as `bench/benchmark.py`
arranges; `python -m bench.offline_bundle` starts its own local run and measures only this.

The registrations are written straight into the table with BatchWriteItem (as bench/export.py does):
98 % confirmed, 1 % cancelled, 1 % pending approval, Turkish and Azerbaijani names.

How each number is taken:
- build_seconds: `offline.bundle()` in this process, first call (one Query page after another, one
  Ed25519 signature and one HKDF + AES-GCM seal per registration); store_seconds is the part spent
  waiting for DynamoDB, kapi_seconds the rest. warm_kapi_seconds: Kapı's own part of a second call,
  when the process already holds the sealed names (a warm Lambda serving the next refresh).
- http_seconds, bytes, gzip_bytes: `GET /api/events/{id}/offline-bundle` end to end with a scanner
  token, its body's size, and that body gzip-compressed (what API Gateway sends with compression on).
- verdict_ms: in Chromium (KAPI_CHROMIUM, default /usr/bin/chromium), the `/scan` page signed in,
  given that 20,000-registration bundle, the context taken offline, then `scans` tickets typed into the code box; each
  verdict's `data-ms` is the time from the code's arrival to the verdict on screen (signature check
  with WebCrypto Ed25519, bundle lookups, name decryption, IndexedDB write, drawing).
"""
from __future__ import annotations

import gzip
import os
import statistics
import sys
import time
import uuid

from bench.harness import NAMES, store_timer
from tests.dates import day_at

STATUSES = ["confirmed"] * 98 + ["cancelled", "pending_approval"]


def run(api_base_url: str, admin_token: str, count: int = 20_000, scans: int = 30) -> dict:
    from chalicelib.process import tables
    db = tables()
    import requests

    from chalicelib.checkin import offline
    from tests.stack import Api

    api = Api(api_base_url, admin_token)
    event_id, list_id, scanner = _setup(api)
    confirmed = _write_registrations(event_id, count)

    with store_timer() as store:
        started = time.perf_counter()
        built = offline.bundle(db, event_id)
        build_seconds = time.perf_counter() - started
    assert len(built["tickets"]) == count
    with store_timer() as warm_store:
        started = time.perf_counter()
        offline.bundle(db, event_id)
        warm_seconds = time.perf_counter() - started

    started = time.perf_counter()
    response = requests.get(f"{api_base_url}/api/events/{event_id}/offline-bundle",
                            headers={"Authorization": f"Bearer {scanner}"}, timeout=600)
    http_seconds = time.perf_counter() - started
    assert response.status_code == 200, response.text[:200]
    print(f"offline bundle: built in {build_seconds:.1f} s, downloaded in {http_seconds:.1f} s", file=sys.stderr)
    timings = _verdicts_in_browser(api_base_url, scanner, event_id, list_id, confirmed[:scans], response.content)
    return {"registrations": count, "build_seconds": round(build_seconds, 2),
            "store_seconds": round(store["seconds"], 2), "kapi_seconds": round(build_seconds - store["seconds"], 2),
            "warm_kapi_seconds": round(warm_seconds - warm_store["seconds"], 2), "http_seconds": round(http_seconds, 2),
            "bytes": len(response.content), "gzip_bytes": len(gzip.compress(response.content)),
            "bytes_per_registration": round(len(response.content) / count, 1),
            "verdict_ms_p50": round(statistics.median(timings), 1), "verdict_ms_max": round(max(timings), 1),
            "verdicts": len(timings)}


def _setup(api) -> tuple[str, str, str]:
    event_id = f"bench-bundle-{uuid.uuid4().hex[:8]}"
    created = api.post("/api/events", token=api.admin_token, json={
        "id": event_id, "name": {"tr": "Çevrimdışı ölçüm", "az": "Oflayn ölçü"}, "venue": "Kültürpark, İzmir",
        "timezone": "Europe/Istanbul", "starts_at": day_at(60, "10:00"), "ends_at": day_at(60, "18:00"),
        "status": "published"})
    assert created.status_code == 201, created.text
    gate = api.post(f"/api/events/{event_id}/checkin-lists", token=api.admin_token, json={"name": "Ana kapı"})
    scanner = api.post("/api/tokens", token=api.admin_token, json={"role": "scanner", "events": [event_id]})
    return event_id, gate.json()["id"], scanner.json()["token"]


def _write_registrations(event_id: str, count: int) -> list[str]:
    """Writes `count` registrations of the event's one ticket type; returns the confirmed ones' secrets."""
    from chalicelib.process import tables
    db = tables()
    from chalicelib.common import clock
    from chalicelib.common.ids import new_registration_id
    from chalicelib.tickets.issuing import signer

    confirmed = []
    with db.Registration.batch_write() as batch:
        for n in range(count):
            now, rid, status = clock.iso(clock.now()), new_registration_id(), STATUSES[n % len(STATUSES)]
            batch.save(db.Registration(
                rid, event_id=event_id, event_status=f"{event_id}#{status}", created_key=f"{now}#{rid}",
                created_at=now, updated_at=now, ticket_type="general", status=status,
                name=f"{NAMES[n % len(NAMES)]} {n}", email=f"katilimci.{n}@example.org",
                email_key=f"katilimci.{n}@example.org", language="tr", consent_at=now, email_status="sent"))
            if status == "confirmed" and len(confirmed) < 200:
                confirmed.append(signer().issue(event_id, rid, 0))
    return confirmed


def _verdicts_in_browser(base_url: str, token: str, event_id: str, list_id: str, secrets: list[str],
                         bundle: bytes) -> list[float]:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("KAPI_CHROMIUM", "/usr/bin/chromium"))
        context = browser.new_context(base_url=base_url)
        # The page gets the bundle just downloaded (timed above) instead of waiting for the slow local
        # server to build it again.
        context.route("**/offline-bundle", lambda route: route.fulfill(
            status=200, body=bundle, headers={"Content-Type": "application/json"}))
        page = context.new_page()
        page.goto("/scan?lang=en")
        page.fill("[name=token]", token)
        page.press("[name=token]", "Enter")
        page.select_option("[name=event]", event_id)
        page.select_option("[name=list]", list_id)
        expect(page.locator("#scanner")).to_have_attribute("data-offline-ready", "true", timeout=300_000)
        context.set_offline(True)
        timings = []
        for n, secret in enumerate(secrets):
            page.fill("[name=code]", secret)
            page.press("[name=code]", "Enter")
            expect(page.locator("#verdict")).to_have_attribute("data-seq", str(n + 1))
            assert page.locator("#verdict").get_attribute("data-offline") == "true"
            timings.append(float(page.locator("#verdict").get_attribute("data-ms")))
        browser.close()
    return timings


def main() -> None:
    import json

    from bench.harness import local_stack

    with local_stack() as api:
        print(json.dumps(run(api.base_url, api.admin_token), indent=2))


if __name__ == "__main__":
    main()
