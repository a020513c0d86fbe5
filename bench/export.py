"""CSV export benchmark on the local stack: time and peak memory to export 10,000 registrations.

`run(api_base_url, admin_token)` needs a running local run and this process's environment naming the
same DynamoDB endpoint and table prefix (as `bench/benchmark.py` arranges).

The export reads registration items only, so the 10,000 are written straight into the registrations
table with BatchWriteItem (seconds), not through 10,000 registration transactions (minutes, and the
local run would compose 10,000 ticket emails meanwhile). They carry Turkish and Azerbaijani names,
an IDN email address and four form answers, like real ones.

How each number is taken:
- export_seconds: `export_csv.export` in this process, page by page from DynamoDB, untraced;
  store_seconds is the part spent waiting for DynamoDB's Query pages (botocore's API call wrapped
  with a timer, so botocore's parsing of each page counts here too), the rest is Kapı's own work
  (decoding items, writing CSV). For every index Query page the local server sorts the whole
  partition and walks past the earlier pages (moto's Table.query), so store_seconds is mostly the
  local server's cost, far above what DynamoDB takes for a 1 MB page.
- peak_mib: the same call under tracemalloc (Python allocations only): pages pynamodb holds, the csv
  buffer and the final text. output_mib is the size of that text as a Python string, so the
  difference is what reading page by page costs beyond the file itself.
- http_seconds: `GET /api/events/{id}/registrations.csv` end to end, for comparison.
"""
from __future__ import annotations

import sys
import time
import tracemalloc
import uuid

from bench.harness import NAMES, store_timer
from tests.dates import day_at

FORM = {"type": "object", "properties": {
    "company": {"type": "string", "maxLength": 200},
    "city": {"type": "string", "maxLength": 100},
    "sessions": {"type": "array", "items": {"enum": ["b2b", "podcast", "concert"]}},
    "newsletter": {"type": "boolean"},
}, "additionalProperties": False}

def run(api_base_url: str, admin_token: str, count: int = 10_000) -> dict:
    from chalicelib.process import tables
    db = tables()
    import requests

    from chalicelib.organiser import export_csv

    event_id = _event(api_base_url, admin_token)
    _write_registrations(event_id, count)

    with store_timer() as store:
        started = time.perf_counter()
        text = export_csv.export(db, event_id)
        export_seconds = time.perf_counter() - started
    rows = text.count("\r\n") - 1
    assert rows == count, (rows, count)

    tracemalloc.start()
    traced = export_csv.export(db, event_id)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    started = time.perf_counter()
    response = requests.get(f"{api_base_url}/api/events/{event_id}/registrations.csv",
                            headers={"Authorization": f"Bearer {admin_token}"}, timeout=600)
    http_seconds = time.perf_counter() - started
    assert response.status_code == 200 and response.content.decode("utf-8") == text
    return {"registrations": count, "export_seconds": round(export_seconds, 2),
            "store_seconds": round(store["seconds"], 2), "dynamodb_calls": store["calls"],
            "kapi_seconds": round(export_seconds - store["seconds"], 2), "http_seconds": round(http_seconds, 2),
            "csv_mib": round(len(response.content) / 2**20, 2), "output_mib": round(sys.getsizeof(traced) / 2**20, 2),
            "peak_mib": round(peak / 2**20, 2)}


def _event(api_base_url: str, admin_token: str) -> str:
    from tests.stack import Api

    event_id = f"bench-export-{uuid.uuid4().hex[:8]}"
    created = Api(api_base_url, admin_token).post("/api/events", token=admin_token, json={
        "id": event_id, "name": {"tr": "Dışa aktarma ölçümü", "az": "İxrac ölçüsü"}, "venue": "Bakı Konqres Mərkəzi",
        "timezone": "Asia/Baku", "starts_at": day_at(60, "10:00", "Asia/Baku"),
        "ends_at": day_at(60, "18:00", "Asia/Baku"),
        "status": "published", "form": FORM})
    assert created.status_code == 201, created.text
    return event_id


def _write_registrations(event_id: str, count: int) -> None:
    from chalicelib.process import tables
    db = tables()
    from chalicelib.common import clock
    from chalicelib.common.ids import new_registration_id

    with db.Registration.batch_write() as batch:
        for n in range(count):
            now, rid = clock.iso(clock.now()), new_registration_id()
            batch.save(db.Registration(
                rid, event_id=event_id, event_status=f"{event_id}#confirmed", created_key=f"{now}#{rid}",
                created_at=now, updated_at=now, ticket_type="general", status="confirmed",
                name=f"{NAMES[n % len(NAMES)]} {n}", email=f"katilimci.{n}@örnek.az",
                email_key=f"katilimci.{n}@xn--rnek-4qa.az", language="az", consent_at=now, email_status="sent",
                answers={"company": f"Aygün MMC {n % 97}", "city": "Gəncə", "sessions": ["b2b", "podcast"][: n % 3],
                         "newsletter": n % 2 == 0}))
