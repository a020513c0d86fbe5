"""Retention: an event's personal data is erased `retention_days` after the event ends.

Run hourly (a Chalice scheduled Lambda in AWS, a worker thread in the local run; the same function).
Due events are found without a Scan: one Query of `Event.by_status` per status, keyed by
`starts_at` up to now, filtered on `personal_data_erased_at` not being set. That reads every event
that has started and is not yet erased, a few hundred items a year, once an hour, which is cheaper
and simpler than a dedicated sparse index that every event write would have to keep in step. The
exact due time (`ends_at + retention_days`) is checked on the parsed times, since `starts_at` keys
carry the organiser's offset and do not compare exactly as text.

Each due event's registrations are paged through `Registration.by_event`, skipping erased ones, and
erased one by one (`erasure.erase_registration`, idempotent). The event is marked
`personal_data_erased_at` only once none is left, so a run cut short by its time budget (or a crash)
is simply continued by the next one. Nothing waits for DynamoDB's TTL, which deletes lazily.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any, Iterator

from chalicelib.common import clock
from chalicelib.organiser import erasure
from chalicelib.storage.models import Event, Registration
from chalicelib.storage.tables import Tables

EVENT_STATUSES = ("draft", "published", "closed", "cancelled")
# A scheduled Lambda runs for at most its timeout; stop starting new erasures well before it.
BUDGET_SECONDS = 45.0
# `starts_at` keys carry offsets up to ±14 h; a day of slack keeps the text comparison on the safe side.
KEY_SLACK = timedelta(days=1)

log = logging.getLogger("kapi")


def due(event: dict[str, Any], now: datetime) -> bool:
    return clock.parse_iso(event["ends_at"]) + timedelta(days=event["retention_days"]) <= now


def started_events(db: Tables, now: datetime) -> Iterator[Event]:
    """Every event that has started and still holds personal data: the candidates of a run."""
    started_before = (now + KEY_SLACK).isoformat()
    for status in EVENT_STATUSES:
        yield from db.Event.by_status.query(status, Event.starts_at < started_before,
                                         filter_condition=Event.personal_data_erased_at.does_not_exist())


def erase_due(db: Tables, now: datetime | None = None, budget_seconds: float = BUDGET_SECONDS) -> dict[str, Any]:
    """Erase what is due; returns counts for the log. Safe to run concurrently and repeatedly.

    One event that cannot be handled (a date that does not compute, a failing write) is logged and
    left for the next run; it never keeps the other events' personal data past their due date.
    """
    now = now or clock.now()
    deadline = time.monotonic() + budget_seconds
    finished: list[str]
    failed: list[str]
    erased, finished, failed = 0, [], []
    for record in started_events(db, now):
        try:
            if not due(record.doc, now):
                continue
            not_erased = Registration.erased == False  # noqa: E712
            for registration in db.Registration.by_event.query(record.id, filter_condition=not_erased):
                if time.monotonic() > deadline:
                    return _report(erased, finished, failed, complete=False)
                erasure.erase_registration(db, registration)
                erased += 1
            record.update(actions=[Event.personal_data_erased_at.set(clock.iso(clock.now()))])
            finished.append(record.id)
        except Exception:  # noqa: BLE001 - see the docstring: one event never stops the run
            log.exception(json.dumps({"msg": "retention failed for an event", "event_id": record.id}))
            failed.append(record.id)
    return _report(erased, finished, failed, complete=True)


def _report(erased: int, events: list[str], failed: list[str], complete: bool) -> dict[str, Any]:
    report = {"msg": "retention", "registrations_erased": erased, "events_finished": events,
              "events_failed": failed, "complete": complete}
    if erased or events or failed:
        log.info(json.dumps(report))
    return report
