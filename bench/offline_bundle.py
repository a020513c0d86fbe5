"""Offline bundle benchmark (SPEC §12): an event of 100,000 registrations synced by a scanner the way
the scanner page does it, in pages and then incrementally, over the local run; and how long the scanner
page takes to decide offline from what it synced, measured in Chromium.

`run(api_base_url, admin_token)` needs a running local run and this process's environment naming the
same DynamoDB endpoint, table prefix and KAPI_DATA_DIR (signing keys), as `bench/benchmark.py`
arranges; `python -m bench.offline_bundle` starts its own local run and measures only this.

The registrations are written straight into the table with BatchWriteItem (as bench/export.py does):
98 % confirmed, 1 % cancelled, 1 % pending approval, Turkish and Azerbaijani names, last changed an
hour before the run.

How each number is taken:
- full_sync: `GET /api/events/{id}/offline-bundle` with a scanner token, then `?cursor=` until no
  `next_cursor`: pages, bytes in all and of the largest page (each must stay well under Lambda's 6 MB
  answer), seconds from the first request to the last answer; the first time (the server seals every
  name) and again (a warm server holds the sealed names).
- incremental_sync: 100 changes made over HTTP after the full sync (40 new registrations, 30
  cancellations, 30 reissues), then `?since=<sync_token>` followed to its end: pages, bytes, seconds,
  the registrations it carried (the changes, and those of the token's overlap).
- verdict_ms: in Chromium (KAPI_CHROMIUM, default /usr/bin/chromium), the `/scan` page signed in syncs
  the bundle itself (browser_sync_seconds: from choosing the event to offline-ready), the context is
  taken offline, then `scans` tickets are typed into the code box; each verdict's `data-ms` is the time
  from the code's arrival to the verdict on screen (signature check with WebCrypto Ed25519, bundle
  lookups, name decryption, IndexedDB write, drawing).
"""
from __future__ import annotations

import os
import statistics
import sys
import time
import uuid

from bench.harness import NAMES
from tests.data import registration_body
from tests.dates import day_at

STATUSES = ["confirmed"] * 98 + ["cancelled", "pending_approval"]
LAMBDA_ANSWER_LIMIT = 6 * 1024 * 1024


def run(api_base_url: str, admin_token: str, count: int = 100_000, scans: int = 30) -> dict:
    import requests

    from tests.stack import Api

    api = Api(api_base_url, admin_token)
    event_id, list_id, scanner = _setup(api)
    started = time.perf_counter()
    confirmed = write_registrations(event_id, count, minutes_ago=60)
    print(f"offline bundle: {count:,} registrations written in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {scanner}"
    bundle_url = f"{api_base_url}/api/events/{event_id}/offline-bundle"

    cold = _sync(http, bundle_url, {})
    assert cold["registrations"] == count, cold
    warm = _sync(http, bundle_url, {})
    print(f"offline bundle: full sync {cold['seconds']} s cold, {warm['seconds']} s warm, {cold['pages']} pages",
          file=sys.stderr)
    _change(api, event_id, confirmed)
    incremental = _sync(http, bundle_url, {"since": warm["sync_token"]})
    print(f"offline bundle: incremental sync after 100 changes {incremental['seconds']} s", file=sys.stderr)
    browser_seconds, timings = _verdicts_in_browser(api_base_url, scanner, event_id, list_id, confirmed[:scans])
    return {"registrations": count,
            "full_sync": {k: v for k, v in cold.items() if k != "sync_token"},
            "full_sync_warm_seconds": warm["seconds"],
            "bytes_per_registration": round(cold["bytes"] / count, 1),
            "largest_page_share_of_lambda_limit": round(cold["largest_page_bytes"] / LAMBDA_ANSWER_LIMIT, 3),
            "incremental_sync_after_100_changes": {k: v for k, v in incremental.items() if k != "sync_token"},
            "browser_sync_seconds": round(browser_seconds, 1),
            "verdict_ms_p50": round(statistics.median(timings), 1), "verdict_ms_max": round(max(timings), 1),
            "verdicts": len(timings)}


def _sync(http, url: str, params: dict) -> dict:
    """One whole sync, page after page: what it took and what it carried."""
    pages, sizes, tickets = 0, [], 0
    started = time.perf_counter()
    while True:
        response = http.get(url, params=params, timeout=600)
        assert response.status_code == 200, response.text[:300]
        page = response.json()
        pages, tickets = pages + 1, tickets + len(page["tickets"])
        sizes.append(len(response.content))
        if not page["next_cursor"]:
            break
        params = {"cursor": page["next_cursor"]}
    return {"pages": pages, "bytes": sum(sizes), "largest_page_bytes": max(sizes), "registrations": tickets,
            "seconds": round(time.perf_counter() - started, 2), "sync_token": page["sync_token"]}


def _change(api, event_id: str, confirmed: list[str]) -> None:
    """100 changes over HTTP: 40 registrations, 30 cancellations, 30 reissues."""
    from chalicelib.tickets.secrets import parse_unverified

    for n in range(40):
        body = registration_body(name=f"{NAMES[n % len(NAMES)]} yeni {n}")
        assert api.post(f"/api/events/{event_id}/registrations", json=body).status_code == 201
    ids = [parse_unverified(secret).registration_id for secret in confirmed[100:160]]
    for n, registration_id in enumerate(ids):
        move = "cancel" if n < 30 else "reissue"
        response = api.post(f"/api/events/{event_id}/registrations/{registration_id}/{move}", token=api.admin_token)
        assert response.status_code == 200, response.text


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


def write_registrations(event_id: str, count: int, ticket_type: str = "general", minutes_ago: int = 0) -> list[str]:
    """Writes `count` registrations of one ticket type straight into the table, last changed
    `minutes_ago`; returns (up to 200 of) the confirmed ones' secrets."""
    from datetime import timedelta

    from chalicelib.process import tables
    db = tables()
    from chalicelib.common import clock
    from chalicelib.common.ids import new_registration_id
    from chalicelib.tickets.issuing import signer

    confirmed = []
    when = clock.iso(clock.now() - timedelta(minutes=minutes_ago))
    with db.Registration.batch_write() as batch:
        for n in range(count):
            now, rid, status = when, new_registration_id(), STATUSES[n % len(STATUSES)]
            batch.save(db.Registration(
                rid, event_id=event_id, event_status=f"{event_id}#{status}", created_key=f"{now}#{rid}",
                created_at=now, updated_at=now, ticket_type=ticket_type, status=status,
                name=f"{NAMES[n % len(NAMES)]} {n}", email=f"katilimci.{n}@example.org",
                email_key=f"katilimci.{n}@example.org", language="tr", consent_at=now, email_status="sent"))
            if status == "confirmed" and len(confirmed) < 200:
                confirmed.append(signer().issue(event_id, rid, 0))
    return confirmed


def _verdicts_in_browser(base_url: str, token: str, event_id: str, list_id: str,
                         secrets: list[str]) -> tuple[float, list[float]]:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("KAPI_CHROMIUM", "/usr/bin/chromium"))
        context = browser.new_context(base_url=base_url)
        page = context.new_page()
        page.goto("/scan?lang=en")
        page.fill("[name=token]", token)
        page.press("[name=token]", "Enter")
        started = time.perf_counter()
        page.select_option("[name=event]", event_id)
        # The lists come with the bundle, once all its pages are in.
        expect(page.locator("[name=list] option")).to_have_count(1, timeout=600_000)
        page.select_option("[name=list]", list_id)
        expect(page.locator("#scanner")).to_have_attribute("data-offline-ready", "true", timeout=600_000)
        synced = time.perf_counter() - started
        context.set_offline(True)
        timings = []
        for n, secret in enumerate(secrets):
            page.fill("[name=code]", secret)
            page.press("[name=code]", "Enter")
            expect(page.locator("#verdict")).to_have_attribute("data-seq", str(n + 1))
            assert page.locator("#verdict").get_attribute("data-offline") == "true"
            timings.append(float(page.locator("#verdict").get_attribute("data-ms")))
        browser.close()
    return synced, timings


def main() -> None:
    import json

    from bench.harness import local_stack

    with local_stack() as api:
        print(json.dumps(run(api.base_url, api.admin_token), indent=2))


if __name__ == "__main__":
    main()
